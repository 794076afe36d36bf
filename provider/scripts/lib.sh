#!/bin/sh
# k3s-multus node scripts: the functions detect.sh and cleanup.sh share. POSIX sh.
#
# Not run alone, and not sourced: the script that runs on a node is this file followed by detect.sh
# or cleanup.sh, joined in one place, readNodeScript in provider/src/node/scripts.ts (hence the #!
# line here). `k3s-multus script detect` prints that text; from a checkout, `cat
# provider/scripts/lib.sh provider/scripts/detect.sh` gives the same bytes (docs/node-scripts.md).
#
# Functions only: this file defines them and runs nothing. The script that follows sets `set -u`,
# IFS, LC_ALL and ME (the name its messages on stderr start with) before it calls them.

# fail CODE STATUS MESSAGE: prints `error=CODE MESSAGE` (the message on one line) to stdout and
# `ME: MESSAGE` to stderr, and exits with STATUS.
fail() {
  f_msg=$(printf '%s' "$3" | tr '\n\r' '  ')
  printf 'error=%s %s\n' "$1" "$f_msg"
  printf '%s: %s\n' "$ME" "$f_msg" >&2
  exit "$2"
}

whoami_() {
  w_name=$(id -un 2>/dev/null) || w_name="uid $(id -u)"
  printf '%s' "$w_name"
}

# no_permission WHAT: fails with no-permission (4), "cannot WHAT as user ...", where WHAT is the
# verb and the path (`read /etc/rancher/k3s/config.yaml`, `remove /opt/cni/bin/multus`).
no_permission() {
  fail no-permission 4 "cannot $1 as user $(whoami_); connect as root, or set sudo: true for a user allowed to run sudo without a password"
}

# strip_slash PATH: sets SP to PATH without trailing slashes.
strip_slash() {
  SP=$1
  while :; do
    case $SP in
      */) SP=${SP%/} ;;
      *) break ;;
    esac
  done
}

# safe_path PATH: the rule of parseSafePath (provider/src/plan/paths.ts): absolute; only letters,
# digits and / . _ - + @ :; no '.', '..' or empty component; not / itself; at most 1024 characters.
# A trailing slash is allowed (strip_slash removes it).
safe_path() {
  case $1 in
    /*) ;;
    *) return 1 ;;
  esac
  case $1 in
    *[!A-Za-z0-9._+@:/-]*) return 1 ;;
  esac
  sp_path=$1
  [ "${#sp_path}" -le 1024 ] || return 1
  strip_slash "$1"
  [ -n "$SP" ] || return 1
  case "$SP/" in
    *//* | */./* | */../*) return 1 ;;
  esac
  return 0
}

# check_access DIR VERB: fails with no-permission ("cannot VERB <dir> ...") when an existing
# directory on the way to DIR, or DIR itself, cannot be searched by this user (so that "absent" is
# never a misreading of "hidden").
check_access() {
  ca_rest=${1#/}
  ca_walk=
  while [ -n "$ca_rest" ]; do
    ca_walk=$ca_walk/${ca_rest%%/*}
    case $ca_rest in
      */*) ca_rest=${ca_rest#*/} ;;
      *) ca_rest= ;;
    esac
    [ -d "$ca_walk" ] || return 0
    [ -x "$ca_walk" ] || no_permission "$2 $ca_walk"
  done
}

# plain_path PATH: absolute, with no empty, '.' or '..' component (any other characters allowed:
# the path is only ever quoted, compared and opened, never evaluated).
plain_path() {
  case $1 in
    /*) ;;
    *) return 1 ;;
  esac
  case "$1/" in
    *//* | */./* | */../*) return 1 ;;
  esac
  return 0
}

# owned_by_root PATH: PATH itself (not what a symlink points to) is owned by uid 0 and not writable
# by group or others. Sets TF_WHY when not.
owned_by_root() {
  ob_path=$1
  ob_ls=$(ls -ldn -- "$ob_path" 2>/dev/null) || {
    TF_WHY="cannot stat $ob_path"
    return 1
  }
  set -f
  # shellcheck disable=SC2086 # split ls's line into its fields
  set -- $ob_ls
  set +f
  [ "$3" = 0 ] || {
    TF_WHY="$ob_path is owned by uid $3, not root"
    return 1
  }
  case $1 in
    l*) return 0 ;;
    ?????w* | ????????w*)
      TF_WHY="$ob_path is writable by group or others ($1)"
      return 1
      ;;
  esac
  return 0
}

# trusted_file PATH: PATH resolves to a regular file that is owned by root and not writable by group
# or others, as is every directory above it and above the symlink PATH may be. Sets TF_WHY when not.
trusted_file() {
  TF_WHY=
  plain_path "$1" || {
    TF_WHY="$1 is not an absolute path without . or .. components"
    return 1
  }
  tf_real=$(readlink -f -- "$1" 2>/dev/null) || tf_real=
  [ -n "$tf_real" ] || {
    TF_WHY="cannot resolve $1"
    return 1
  }
  if [ ! -f "$tf_real" ] || [ -L "$tf_real" ]; then
    TF_WHY="$1 is not a regular file"
    return 1
  fi
  tf_dir=$(readlink -f -- "${1%/*}/" 2>/dev/null) || tf_dir=/
  for tf_p in "$tf_real" "$tf_dir/."; do
    tf_p=${tf_p%/.}
    while :; do
      owned_by_root "${tf_p:-/}" || return 1
      [ -n "$tf_p" ] || break
      tf_p=${tf_p%/*}
    done
  done
  return 0
}

# read_trusted FILE: fails unless FILE is a trusted file (see trusted_file) of at most 256 KiB;
# the caller then reads it.
read_trusted() {
  RT_MAX=262144
  [ -r "$1" ] || [ ! -e "$1" ] || no_permission "read $1"
  trusted_file "$1" || fail untrusted-file 6 "not reading $1: $TF_WHY; K3s's files must be regular files owned by root that group and others cannot write"
  rt_size=$(wc -c <"$1" 2>/dev/null) || no_permission "read $1"
  rt_size=${rt_size##* }
  [ "$rt_size" -le "$RT_MAX" ] || fail too-large 8 "not reading $1: $rt_size bytes, more than $RT_MAX"
}

# owner_arg OWNER: fails with usage (2) unless OWNER is an installation's owner id, 16 hex digits.
owner_arg() {
  case $1 in
    [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;;
    *) fail usage 2 "OWNER must be 16 lower-case hex digits: $1" ;;
  esac
}
