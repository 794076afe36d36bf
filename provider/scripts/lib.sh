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
