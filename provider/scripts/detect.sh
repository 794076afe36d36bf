# shellcheck shell=sh
# k3s-multus node detection. POSIX sh: runs in dash, busybox ash and bash.
#
# Usage: sh -s -- [DATA_DIR] < lib.sh+detect.sh
#   DATA_DIR  the K3s data dir when the user pinned it; otherwise it is detected.
#
# On success prints exactly these lines and exits 0 (docs/design.md, output format version 1):
#   k3s-multus-detect 1
#   version=<first line of `k3s --version`>
#   data_dir=<absolute path>
#   flannel=on|off
#   bin_dir=<containerd's CNI bin dir, data/<hash>/bin mapped to data/current/bin; empty if none>
#   conf_dir=<containerd's CNI conf dir; empty if none>
#   containerd_config=<the containerd config read; empty if none>
# On failure prints `error=<code> <message>` to stdout and the message to stderr, and exits with
# 2 (usage), 3 (no-k3s), 4 (no-permission), 5 (bad-data-dir), 6 (untrusted-file), 7 (bad-path),
# 8 (too-large) or 9 (conflicting-data-dir).
#
# Trust: facts come only from root-owned sources. A process counts as the running K3s only when it
# is named k3s-server/k3s-agent, runs as uid 0 in this mount namespace, and its /proc/<pid>/exe is
# a root-owned file that no group or other user can write; the binary this script runs for
# `--version` is found on PATH or in the fixed install locations and must pass the same test. It
# never runs a path taken from another process. Every file it reads must be a regular file owned
# by root, not writable by group or others, in directories of which the same holds, and at most
# 256 KiB. K3s hides its flags (setproctitle), so they are read from its service definition
# (systemd unit and its EnvironmentFiles, or the OpenRC script and its env file), of which only
# K3S_DATA_DIR and K3S_CONFIG_FILE are read: tokens there are never printed. It writes nothing.
#
# Not run alone: the script that runs is provider/scripts/lib.sh (fail, no_permission, strip_slash,
# safe_path, check_access, trusted_file, ...) followed by this file, as readNodeScript in
# provider/src/node/scripts.ts joins them; `k3s-multus script detect` prints it.

set -u
IFS=' 	
'
LC_ALL=C
export LC_ALL
NL='
'
# shellcheck disable=SC2034 # ME names this script in lib.sh's messages
ME=k3s-multus-detect
# Releases from which K3S_DATA_DIR is a setting (k3s #10589): v1.27.16, v1.28.12, v1.29.7, v1.30.3.
DATA_DIR_ENV_SINCE='27:16 28:12 29:7 30:3'

# ltrim TEXT: sets LT to TEXT without leading blanks.
ltrim() {
  LT=${1#"${1%%[! 	]*}"}
}

# --- Processes ---------------------------------------------------------------------------------------

# proc_uid0 PID: true when the process's real and effective uid are 0.
proc_uid0() {
  while IFS=' 	' read -r pu_key pu_real pu_eff _; do
    if [ "$pu_key" = Uid: ]; then
      [ "$pu_real" = 0 ] && [ "$pu_eff" = 0 ]
      return
    fi
  done <"/proc/$1/status"
  return 1
}

# proc_trusted PID: true when the process runs as root in this mount namespace from a trusted
# binary; sets PT_EXE to that binary's path.
proc_trusted() {
  proc_uid0 "$1" 2>/dev/null || return 1
  pt_ns=$(readlink "/proc/$1/ns/mnt" 2>/dev/null) || return 1
  [ "$pt_ns" = "$SELF_NS" ] || return 1
  PT_EXE=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
  # shellcheck disable=SC3013 # -ef (same device and inode) is in dash, busybox and bash test
  [ "/proc/$1/exe" -ef "$PT_EXE" ] || return 1
  trusted_file "$PT_EXE"
}

# proc_args PID: sets PA to the process's argv, one argument per line.
proc_args() {
  PA=$({ tr '\000' '\n' <"/proc/$1/cmdline"; } 2>/dev/null)
}

# ppid_of PID: sets PP to the parent pid.
ppid_of() {
  PP=
  while IFS=' 	' read -r pp_key pp_val; do
    [ "$pp_key" = PPid: ] && PP=$pp_val && return 0
  done <"/proc/$1/status"
}

# find_k3s_process: K3S_PID, K3S_KIND (server|agent), K3S_EXE and K3S_PROC_ARGS of the running
# K3s; CTRD_ARG_CONFIG, the `-c` config of the containerd that this K3s started.
find_k3s_process() {
  SELF_NS=$(readlink /proc/self/ns/mnt 2>/dev/null) || SELF_NS=
  K3S_PID='' K3S_KIND='' K3S_EXE='' K3S_PROC_ARGS='' CTRD_ARG_CONFIG=''
  fp_ctrd=
  for fp_d in /proc/[0-9]*; do
    fp_comm=
    { read -r fp_comm <"$fp_d/comm"; } 2>/dev/null || continue
    case $fp_comm in
      k3s-server | k3s-agent)
        [ -z "$K3S_PID" ] || continue
        proc_trusted "${fp_d#/proc/}" || continue
        K3S_PID=${fp_d#/proc/}
        K3S_KIND=${fp_comm#k3s-}
        K3S_EXE=$PT_EXE
        proc_args "$K3S_PID"
        K3S_PROC_ARGS=$PA
        ;;
      containerd) fp_ctrd="$fp_ctrd ${fp_d#/proc/}" ;;
    esac
  done
  [ -n "$K3S_PID" ] || return 0
  for fp_p in $fp_ctrd; do
    { ppid_of "$fp_p"; } 2>/dev/null || continue
    [ "$PP" = "$K3S_PID" ] || continue
    proc_trusted "$fp_p" || continue
    proc_args "$fp_p"
    fp_want=
    set -f
    IFS=$NL
    for fp_a in $PA; do
      if [ -n "$fp_want" ]; then
        CTRD_ARG_CONFIG=$fp_a
        fp_want=
        continue
      fi
      case $fp_a in
        -c | --config) fp_want=1 ;;
        --config=*) CTRD_ARG_CONFIG=${fp_a#--config=} ;;
      esac
    done
    IFS=' 	
'
    set +f
  done
}

# --- The k3s binary and its version ------------------------------------------------------------------

# find_k3s_binary: K3S, a trusted k3s binary from PATH or the install locations: /usr/local/bin
# (get.k3s.io), /opt/bin (get.k3s.io where /usr is read-only, e.g. Flatcar), /usr/bin, /usr/sbin
# (distribution packages), /usr/local/sbin, /bin (the rancher/k3s image), NixOS's system profile.
find_k3s_binary() {
  K3S=
  fk_seen=
  fk_list=
  fk_old=$IFS
  IFS=:
  for fk_dir in $PATH; do
    case $fk_dir in /*) fk_list="$fk_list $fk_dir/k3s" ;; esac
  done
  IFS=$fk_old
  for fk_c in $fk_list /usr/local/bin/k3s /opt/bin/k3s /usr/bin/k3s /usr/sbin/k3s /usr/local/sbin/k3s \
    /bin/k3s /run/current-system/sw/bin/k3s; do
    if [ ! -f "$fk_c" ] || [ ! -x "$fk_c" ]; then continue; fi
    if trusted_file "$fk_c"; then
      K3S=$fk_c
      return 0
    fi
    fk_seen="$fk_seen $fk_c ($TF_WHY)"
  done
  [ -z "$fk_seen" ] || fail untrusted-file 6 "not running k3s:$fk_seen; the k3s binary must be a root-owned file that group and others cannot write, in root-owned directories"
  fail no-k3s 3 "k3s not found: not on PATH ($PATH) and not in /usr/local/bin, /opt/bin, /usr/bin, /usr/sbin, /usr/local/sbin or /bin; is K3s installed on this node?"
}

# read_version: VLINE, the first line of `k3s --version`; V_MINOR and V_PATCH of a v1.x release.
read_version() {
  rv_out=$("$K3S" --version 2>/dev/null </dev/null) || fail no-k3s 3 "$K3S --version failed; is this a K3s binary?"
  VLINE=$(printf '%s' "${rv_out%%"$NL"*}" | tr -d '\r')
  [ -n "$VLINE" ] || fail no-k3s 3 "$K3S --version printed nothing"
  V_MINOR='' V_PATCH=''
  case $VLINE in
    'k3s version v1.'*)
      rv_rest=${VLINE#k3s version v1.}
      V_MINOR=${rv_rest%%.*}
      rv_rest=${rv_rest#*.}
      V_PATCH=${rv_rest%%[!0-9]*}
      case $V_MINOR in '' | *[!0-9]*) V_MINOR= ;; esac
      ;;
  esac
}

# data_dir_env_honoured: true when this K3s takes K3S_DATA_DIR as a setting (not before the
# releases in DATA_DIR_ENV_SINCE, when its own wrapper set the variable to data/<hash>).
data_dir_env_honoured() {
  [ -n "$V_MINOR" ] && [ -n "$V_PATCH" ] || return 1
  [ "$V_MINOR" -ge 31 ] && return 0
  for de_gate in $DATA_DIR_ENV_SINCE; do
    [ "${de_gate%:*}" = "$V_MINOR" ] && [ "$V_PATCH" -ge "${de_gate#*:}" ] && return 0
  done
  return 1
}

# --- The service definition --------------------------------------------------------------------------

# unit_value LINE KEY: sets UV to LINE's value when LINE is `KEY=value`.
unit_value() {
  case $1 in
    "$2="*) UV=${1#"$2="} ;;
    *) return 1 ;;
  esac
}

# read_env_file FILE: K3S_DATA_DIR and K3S_CONFIG_FILE from a `KEY=value` file (systemd
# EnvironmentFile, OpenRC env file); `export`, quotes and comments as such files have them.
read_env_file() {
  [ -e "$1" ] || return 0
  read_trusted "$1"
  while IFS= read -r ef_line || [ -n "$ef_line" ]; do
    ltrim "$ef_line"
    ef_line=${LT#export }
    case $ef_line in
      K3S_DATA_DIR=* | K3S_CONFIG_FILE=*) ;;
      *) continue ;;
    esac
    ef_val=${ef_line#*=}
    case $ef_val in
      \"*\" | \'*\')
        ef_val=${ef_val#?}
        ef_val=${ef_val%?}
        ;;
    esac
    case $ef_line in
      K3S_DATA_DIR=*) SVC_ENV_DATA_DIR=$ef_val SVC_ENV_DATA_DIR_FROM=$1 ;;
      K3S_CONFIG_FILE=*) SVC_ENV_CONFIG=$ef_val ;;
    esac
  done <"$1"
}

# split_words TEXT: sets SW to TEXT's words, one per line, with the quoting of a systemd ExecStart
# or an OpenRC command_args string (single and double quotes, backslash); xargs splits, nothing
# is evaluated.
split_words() {
  SW=$(printf '%s\n' "$1" | tr '\n' ' ' | xargs printf '%s\n' 2>/dev/null) ||
    fail untrusted-file 6 "cannot split the K3s command line in $2 into words (unbalanced quotes?)"
}

# read_systemd_unit FILE: the ExecStart command line (continuation lines joined; a later ExecStart
# wins, an empty one resets) and the EnvironmentFiles of a k3s systemd unit.
read_systemd_unit() {
  read_trusted "$1"
  ru_name=${1##*/}
  ru_name=${ru_name%.service}
  ru_exec=
  ru_cur=
  ru_cont=
  ru_envs=
  while IFS= read -r ru_line || [ -n "$ru_line" ]; do
    if [ -n "$ru_cont" ]; then
      ru_cur="$ru_cur ${ru_line%\\}"
      case $ru_line in *\\) ;; *) ru_cont='' ru_exec=$ru_cur ;; esac
      continue
    fi
    ltrim "$ru_line"
    if unit_value "$LT" ExecStart; then
      ru_cur=${UV#[-@:+!]}
      case $UV in
        *\\) ru_cont=1 ru_cur=${ru_cur%\\} ;;
        *) ru_exec=$ru_cur ;;
      esac
    elif unit_value "$LT" EnvironmentFile; then
      ru_f=${UV#-}
      case $ru_f in *%N*) ru_f=${ru_f%%%N*}$ru_name${ru_f#*%N} ;; esac
      ru_envs="$ru_envs$ru_f$NL"
    fi
  done <"$1"
  [ -z "$ru_cont" ] || ru_exec=$ru_cur
  split_words "$ru_exec" "$1"
  SVC_ARGS=$SW
  SVC_FROM=$1
  set -f
  IFS=$NL
  for ru_f in $ru_envs; do
    IFS=' 	
'
    case $ru_f in
      /*) read_env_file "$ru_f" ;;
    esac
  done
  IFS=' 	
'
  set +f
}

# read_openrc_script FILE: command and command_args of the k3s OpenRC script get.k3s.io writes
# (`command_args="server \` ... `"`), and its env file /etc/rancher/k3s/<name>.env.
read_openrc_script() {
  read_trusted "$1"
  ro_cmd=
  ro_args=
  ro_in=
  while IFS= read -r ro_line || [ -n "$ro_line" ]; do
    if [ -n "$ro_in" ]; then
      case $ro_line in
        *\"*) ro_args="$ro_args ${ro_line%%\"*}" ro_in= ;;
        *) ro_args="$ro_args ${ro_line%\\}" ;;
      esac
      continue
    fi
    case $ro_line in
      command=*) ro_cmd=${ro_line#command=} ;;
      command_args=\"*\"*) ro_args=${ro_line#command_args=\"} ro_args=${ro_args%%\"*} ;;
      command_args=\"*) ro_args=${ro_line#command_args=\"} ro_args=${ro_args%\\} ro_in=1 ;;
    esac
  done <"$1"
  split_words "$ro_cmd $ro_args" "$1"
  SVC_ARGS=$SW
  SVC_FROM=$1
  read_env_file "/etc/rancher/k3s/${1##*/}.env"
}

# read_service: SVC_ARGS (the service's K3s command line, one word per line), SVC_ENV_DATA_DIR and
# SVC_ENV_CONFIG from its environment files; the unit of the running kind first.
read_service() {
  SVC_ARGS='' SVC_FROM='' SVC_ENV_DATA_DIR='' SVC_ENV_DATA_DIR_FROM='' SVC_ENV_CONFIG=''
  case $K3S_KIND in
    agent) rs_names='k3s-agent k3s' ;;
    *) rs_names='k3s k3s-agent' ;;
  esac
  for rs_n in $rs_names; do
    if [ -e "/etc/systemd/system/$rs_n.service" ]; then
      read_systemd_unit "/etc/systemd/system/$rs_n.service"
      return 0
    fi
    if [ -e "/etc/init.d/$rs_n" ]; then
      read_openrc_script "/etc/init.d/$rs_n"
      return 0
    fi
  done
}

# parse_k3s_args WORDS: F_DATA_DIR, F_CONFIG and F_FLANNEL from a K3s command line (the binary,
# `server`/`agent`, flags). Go's flag syntax: one or two dashes, `=value` or the next word; the
# last occurrence wins.
parse_k3s_args() {
  pk_want=
  pk_sub=
  pk_first=1
  set -f
  IFS=$NL
  for pk_a in $1; do
    if [ -n "$pk_first" ]; then
      pk_first=
      continue
    fi
    if [ -n "$pk_want" ]; then
      case $pk_want in
        data) F_DATA_DIR=$pk_a ;;
        config) F_CONFIG=$pk_a ;;
        flannel) F_FLANNEL=$pk_a ;;
      esac
      pk_want=
      continue
    fi
    if [ -z "$pk_sub" ]; then
      case $pk_a in server | agent) pk_sub=$pk_a ;; esac
      continue
    fi
    case $pk_a in
      --) break ;;
      --data-dir=* | -data-dir=* | -d=* | --d=*) F_DATA_DIR=${pk_a#*=} ;;
      --data-dir | -data-dir | -d | --d) pk_want=data ;;
      --config=* | -config=* | -c=* | --c=*) F_CONFIG=${pk_a#*=} ;;
      --config | -config | -c | --c) pk_want=config ;;
      --flannel-backend=* | -flannel-backend=*) F_FLANNEL=${pk_a#*=} ;;
      --flannel-backend | -flannel-backend) pk_want=flannel ;;
    esac
  done
  IFS=' 	
'
  set +f
}

# --- K3s config file and drop-ins --------------------------------------------------------------------

# yaml_scalar TEXT: sets YV to the YAML scalar at the start of TEXT (plain, "double" or 'single'
# quoted, optionally followed by a comment). Returns 1 for forms it does not read (empty value,
# block scalars, anchors, aliases, tags, flow collections, unterminated quotes).
yaml_scalar() {
  ltrim "$1"
  ys=$LT
  case $ys in
    '"'*)
      ys=${ys#?}
      case $ys in *\"*) ;; *) return 1 ;; esac
      YV=${ys%%\"*}
      ys=${ys#*\"}
      ;;
    "'"*)
      ys=${ys#?}
      case $ys in *\'*) ;; *) return 1 ;; esac
      YV=${ys%%\'*}
      ys=${ys#*\'}
      ;;
    '' | '#'* | '|'* | '>'* | '&'* | '*'* | '!'* | '['* | '{'*) return 1 ;;
    *)
      YV=${ys%%[ 	]#*}
      YV=${YV%"${YV##*[! 	]}"}
      ys=
      ;;
  esac
  ltrim "$ys"
  case $LT in
    '' | '#'*) return 0 ;;
    *) return 1 ;;
  esac
}

# read_config FILE: top-level `data-dir` (or `d`) and `flannel-backend` keys; a later one wins.
read_config() {
  read_trusted "$1"
  while IFS= read -r rc_line || [ -n "$rc_line" ]; do
    case $rc_line in
      data-dir:* | '"data-dir":'* | "'data-dir':"* | d:* | '"d":'* | "'d':"*) rc_key=data ;;
      flannel-backend:* | '"flannel-backend":'* | "'flannel-backend':"*) rc_key=flannel ;;
      *) continue ;;
    esac
    rc_val=${rc_line#*:}
    case $rc_val in
      '' | ' '* | '	'*) ;;
      *) continue ;; # `key:value` without a blank is a plain scalar, not a mapping entry
    esac
    if ! yaml_scalar "$rc_val"; then
      [ "$rc_key" = data ] && fail bad-data-dir 5 "cannot read the data-dir value in $1 (only a one-line plain or quoted scalar is understood): $rc_line"
      continue
    fi
    case $rc_key in
      data) CFG_DATA_DIR=$YV CFG_DATA_DIR_FROM=$1 ;;
      flannel) CFG_FLANNEL=$YV ;;
    esac
  done <"$1"
}

# read_configs: the config file K3s reads (K3S_CONFIG_FILE, else --config/-c, else the default),
# then its drop-ins <config>.d/*.yaml and *.yml in byte order.
read_configs() {
  CFG_DATA_DIR='' CFG_DATA_DIR_FROM='' CFG_FLANNEL=''
  if [ -n "$ENV_CONFIG" ]; then
    CFG=$ENV_CONFIG
  elif [ -n "$F_CONFIG" ]; then
    CFG=$F_CONFIG
  else
    CFG=/etc/rancher/k3s/config.yaml
  fi
  plain_path "$CFG" || fail bad-path 7 "the K3s config file $CFG (from K3S_CONFIG_FILE or --config) is not an absolute path without . or .. components; give K3s an absolute config path"
  check_access "${CFG%/*}" read
  if [ -e "$CFG" ] || [ -L "$CFG" ]; then read_config "$CFG"; fi
  if [ -d "$CFG.d" ]; then
    { [ -r "$CFG.d" ] && [ -x "$CFG.d" ]; } || no_permission "read $CFG.d"
    for rc_f in "$CFG.d"/*; do
      [ -d "$rc_f" ] && continue
      case $rc_f in
        *.yaml | *.yml) [ -e "$rc_f" ] && read_config "$rc_f" ;;
      esac
    done
  fi
}

# --- Data dir ----------------------------------------------------------------------------------------

# asset_data_dir PATH: sets AD to the data dir of PATH when PATH is <data dir>/data/<hash>/bin/<file>.
asset_data_dir() {
  case $1 in
    /*/data/*/bin/*) ;;
    *) return 1 ;;
  esac
  ad_pre=${1%/data/*/bin/*}
  ad_hash=${1#"$ad_pre"/data/}
  ad_hash=${ad_hash%%/*}
  case $ad_hash in '' | *[!0-9a-f]*) return 1 ;; esac
  AD=$ad_pre
}

# resolve_data_dir: DD, the data dir, and DD_FROM, where it came from. The running K3s is the
# witness: its binary runs from <data dir>/data/<hash>/bin, and its containerd's config lies in
# <data dir>/agent/etc/containerd. Without it, the service's settings in K3s's own orders: the
# wrapper that places data/ reads K3S_DATA_DIR, then the flag, then the config file; the server
# reads the flag, then the config file, then K3S_DATA_DIR. When the two differ K3s is split across
# two dirs, and detection refuses to guess.
resolve_data_dir() {
  if [ -n "$ARG_DATA_DIR" ]; then
    DD=$ARG_DATA_DIR DD_FROM="the dataDir argument"
    return 0
  fi
  rd_env=
  if data_dir_env_honoured; then rd_env=$SVC_ENV_DATA_DIR; fi
  rd_wrap='' rd_wrap_from='' rd_srv='' rd_srv_from=''
  if [ -n "$K3S_EXE" ] && asset_data_dir "$K3S_EXE"; then
    rd_wrap=$AD rd_wrap_from="the running k3s (pid $K3S_PID, $K3S_EXE)"
  elif [ -n "$rd_env" ]; then
    rd_wrap=$rd_env rd_wrap_from="K3S_DATA_DIR in $SVC_ENV_DATA_DIR_FROM"
  fi
  case $CTRD_ARG_CONFIG in
    /*/agent/etc/containerd/*)
      rd_srv=${CTRD_ARG_CONFIG%/agent/etc/containerd/*}
      rd_srv_from="the running containerd (-c $CTRD_ARG_CONFIG)"
      ;;
    *)
      if [ -n "$F_DATA_DIR" ]; then
        rd_srv=$F_DATA_DIR rd_srv_from="--data-dir in $SVC_FROM"
      elif [ -n "$CFG_DATA_DIR" ]; then
        rd_srv=$CFG_DATA_DIR rd_srv_from=$CFG_DATA_DIR_FROM
      elif [ -n "$rd_env" ]; then
        rd_srv=$rd_env rd_srv_from="K3S_DATA_DIR in $SVC_ENV_DATA_DIR_FROM"
      fi
      ;;
  esac
  if [ -z "$rd_wrap" ] && [ -z "$K3S_EXE" ]; then
    if [ -n "$F_DATA_DIR" ]; then
      rd_wrap=$F_DATA_DIR rd_wrap_from="--data-dir in $SVC_FROM"
    elif [ -n "$CFG_DATA_DIR" ]; then
      rd_wrap=$CFG_DATA_DIR rd_wrap_from=$CFG_DATA_DIR_FROM
    fi
  fi
  DD=${rd_srv:-$rd_wrap}
  DD_FROM=${rd_srv_from:-$rd_wrap_from}
  if [ -n "$rd_wrap" ] && [ -n "$rd_srv" ]; then
    strip_slash "$rd_wrap"
    rd_a=$SP
    strip_slash "$rd_srv"
    [ "$rd_a" = "$SP" ] || fail conflicting-data-dir 9 "K3s is split across two data dirs: $rd_wrap from $rd_wrap_from, $rd_srv from $rd_srv_from; set one data dir (--data-dir, data-dir: or K3S_DATA_DIR) and restart K3s, or pin k3sDataDir"
  fi
  if [ -z "$DD" ]; then
    DD=/var/lib/rancher/k3s DD_FROM=default
  fi
}

# --- containerd's generated config -------------------------------------------------------------------

# toml_string TEXT: sets TV to the TOML string ("basic" or 'literal') at the start of TEXT.
toml_string() {
  ltrim "$1"
  ts=$LT
  case $ts in
    '"'*)
      ts=${ts#?}
      case $ts in *\"*) ;; *) return 1 ;; esac
      TV=${ts%%\"*}
      ;;
    "'"*)
      ts=${ts#?}
      case $ts in *\'*) ;; *) return 1 ;; esac
      TV=${ts%%\'*}
      ;;
    *) return 1 ;;
  esac
}

# read_containerd: CTRD (the config K3s generated: the running containerd's -c when it lies in
# <data dir>/agent/etc/containerd, else config.toml there), and its CNI dirs CNI_BIN, CNI_CONF from
# the CRI plugin's cni table; `bin_dirs = [...]` (containerd 2.1) gives its first entry.
read_containerd() {
  rc_dir=$DD/agent/etc/containerd
  check_access "$rc_dir" read
  CTRD='' CNI_BIN='' CNI_CONF=''
  case $CTRD_ARG_CONFIG in
    "$rc_dir"/*) CTRD=$CTRD_ARG_CONFIG ;;
    *) [ -e "$rc_dir/config.toml" ] && CTRD=$rc_dir/config.toml ;;
  esac
  [ -n "$CTRD" ] || return 0
  read_trusted "$CTRD"
  in_cni=
  while IFS= read -r pc_line || [ -n "$pc_line" ]; do
    ltrim "$pc_line"
    pc_line=$LT
    case $pc_line in
      '['*)
        pc_hdr=$(printf '%s' "$pc_line" | tr -d " \"'	")
        case ${pc_hdr%%#*} in
          '[plugins.io.containerd.grpc.v1.cri.cni]' | '[plugins.io.containerd.cri.v1.runtime.cni]' | '[plugins.cri.cni]') in_cni=1 ;;
          *) in_cni= ;;
        esac
        ;;
      bin_dir* | conf_dir*)
        [ -n "$in_cni" ] || continue
        pc_key=${pc_line%%=*}
        pc_key=${pc_key%"${pc_key##*[! 	]}"}
        ltrim "${pc_line#*=}"
        pc_val=$LT
        case $pc_key in
          bin_dir) toml_string "$pc_val" && CNI_BIN=$TV ;;
          bin_dirs) case $pc_val in '['*) toml_string "${pc_val#?}" && CNI_BIN=$TV ;; esac ;;
          conf_dir) toml_string "$pc_val" && CNI_CONF=$TV ;;
        esac
        ;;
    esac
  done <"$CTRD"
  # An old release's data/<hash>/bin changes on every upgrade; data/current/bin follows it.
  if asset_data_dir "$CNI_BIN/x" && [ "$CNI_BIN" != "$AD/data/current/bin" ]; then
    CNI_BIN=$AD/data/current/bin
  fi
}

# --- Flannel -----------------------------------------------------------------------------------------

# decide_flannel: off when the service's command line or the config says flannel-backend none, or
# when containerd's generated config names no CNI dirs (K3s writes them only while flannel is on;
# on an agent, which takes the backend from its server, this is the only witness).
decide_flannel() {
  FLANNEL=on
  if [ -n "$F_FLANNEL" ]; then
    [ "$F_FLANNEL" = none ] && FLANNEL=off
  elif [ "$CFG_FLANNEL" = none ]; then
    FLANNEL=off
  fi
  if [ -n "$CTRD" ] && [ -z "$CNI_BIN" ] && [ -z "$CNI_CONF" ]; then
    FLANNEL=off
  fi
}

# --- The pipeline's own steps ------------------------------------------------------------------------

# parse_args [DATA_DIR]: ARG_DATA_DIR, the data dir the user pinned (empty: detect it).
parse_args() {
  [ "$#" -le 1 ] || fail usage 2 "usage: detect.sh [DATA_DIR]"
  ARG_DATA_DIR=${1-}
}

# read_flags: F_DATA_DIR, F_CONFIG and F_FLANNEL from the service's command line, then from the
# running K3s's, which wins where both say.
read_flags() {
  F_DATA_DIR='' F_CONFIG='' F_FLANNEL=''
  parse_k3s_args "$SVC_ARGS"
  parse_k3s_args "$K3S_PROC_ARGS"
}

# read_process_env: ENV_CONFIG, the K3S_CONFIG_FILE K3s runs with: the running process's
# environment when there is one, else the service's environment files.
read_process_env() {
  ENV_CONFIG=$SVC_ENV_CONFIG
  [ -n "$K3S_PID" ] || return 0
  [ -r "/proc/$K3S_PID/environ" ] || no_permission "read /proc/$K3S_PID/environ (the running k3s)"
  ENV_CONFIG=$(tr '\000' '\n' <"/proc/$K3S_PID/environ" 2>/dev/null | while IFS= read -r e; do
    case $e in K3S_CONFIG_FILE=*) printf '%s' "${e#K3S_CONFIG_FILE=}" ;; esac
  done)
}

# check_data_dir: fails unless DD is a safe absolute path; then DD without trailing slashes.
check_data_dir() {
  safe_path "$DD" || fail bad-data-dir 5 "the K3s data dir from $DD_FROM is not a safe absolute path (letters, digits and / . _ - + @ : only, no . or .. component): $DD"
  strip_slash "$DD"
  DD=$SP
}

# print_facts: the output, format version 1 (see the head of this file).
print_facts() {
  printf 'k3s-multus-detect 1\nversion=%s\ndata_dir=%s\nflannel=%s\nbin_dir=%s\nconf_dir=%s\ncontainerd_config=%s\n' \
    "$VLINE" "$DD" "$FLANNEL" "$CNI_BIN" "$CNI_CONF" "$CTRD"
}

# --- Main: the pipeline ------------------------------------------------------------------------------

{
  parse_args "$@"    # ARG_DATA_DIR
  find_k3s_process   # the running K3s, if any: K3S_PID, K3S_KIND, K3S_EXE, its containerd's -c
  find_k3s_binary    # K3S, a trusted k3s binary
  read_version       # VLINE (`k3s --version`), V_MINOR, V_PATCH
  read_service       # SVC_ARGS and the service's environment files
  read_flags         # F_DATA_DIR, F_CONFIG, F_FLANNEL
  read_process_env   # ENV_CONFIG (K3S_CONFIG_FILE)
  read_configs       # CFG_DATA_DIR, CFG_FLANNEL from config.yaml and its drop-ins
  resolve_data_dir   # DD and DD_FROM
  check_data_dir     # DD is safe
  read_containerd    # CTRD, CNI_BIN, CNI_CONF
  decide_flannel     # FLANNEL
  print_facts
}
