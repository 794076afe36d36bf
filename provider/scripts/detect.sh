# shellcheck shell=sh
# k3s-multus node detection. POSIX sh: runs in dash, busybox ash and bash.
#
# Usage: detect.sh [DATA_DIR]
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
# 2 (usage), 3 (no-k3s), 4 (no-permission) or 5 (bad-data-dir).
#
# It only reads: /proc/<pid>/{comm,cmdline,environ} of the running k3s and containerd processes,
# the K3s config file and its drop-ins, and containerd's generated config under the data dir. The
# only program it runs besides sh, tr and id is `k3s --version`. It writes nothing (no temporary
# files either) and never calls sudo: the command built by provider/src/node/scripts.ts does that
# when it is asked to. Values read from the node are only ever compared and printed, never
# evaluated.
#
# Not run alone: the script that runs is provider/scripts/lib.sh (fail, no_permission, strip_slash,
# safe_path, check_access) followed by this file, as readNodeScript in provider/src/node/scripts.ts
# joins them; `k3s-multus script detect` prints it (docs/node-scripts.md).

set -u
IFS=' 	
'
LC_ALL=C
export LC_ALL
NL='
'
ME=k3s-multus-detect

# ltrim TEXT: sets LT to TEXT without leading blanks.
ltrim() {
  LT=${1#"${1%%[! 	]*}"}
}

[ "$#" -le 1 ] || fail usage 2 "usage: detect.sh [DATA_DIR]"
ARG_DATA_DIR=${1-}

# --- Processes: the running k3s (server or agent) and containerd -----------------------------------

K3S_PID=
K3S_ARGS=
CTRD_CONFIGS=
for d in /proc/[0-9]*; do
  [ -r "$d/cmdline" ] || continue
  comm=
  { read -r comm <"$d/comm"; } 2>/dev/null || continue
  case $comm in
    k3s | k3s-server | k3s-agent | containerd) ;;
    *) continue ;;
  esac
  args=$({ tr '\000' '\n' <"$d/cmdline"; } 2>/dev/null) || continue
  if [ "$comm" = containerd ]; then
    # containerd -c <config> (K3s starts its containerd this way).
    want=
    set -f
    IFS=$NL
    for a in $args; do
      if [ -n "$want" ]; then
        CTRD_CONFIGS=$CTRD_CONFIGS$a$NL
        want=
        continue
      fi
      case $a in
        -c | --config) want=1 ;;
        --config=*) CTRD_CONFIGS=$CTRD_CONFIGS${a#--config=}$NL ;;
      esac
    done
    IFS=' 	
'
    set +f
    continue
  fi
  case "$NL$args$NL" in
    *"${NL}server$NL"* | *"${NL}agent$NL"*)
      if [ -z "$K3S_PID" ]; then
        K3S_PID=${d#/proc/}
        K3S_ARGS=$args
      fi
      ;;
  esac
done

# Flags of the running k3s after its `server`/`agent` subcommand. Go's flag syntax: one or two
# dashes, value after '=' or as the next argument; the last occurrence wins.
P_DATA_DIR=
P_CONFIG=
P_FLANNEL=
P_ARGV0=
if [ -n "$K3S_PID" ]; then
  want=
  sub=
  set -f
  IFS=$NL
  for a in $K3S_ARGS; do
    if [ -z "$P_ARGV0" ]; then
      P_ARGV0=$a
      continue
    fi
    if [ -n "$want" ]; then
      case $want in
        data) P_DATA_DIR=$a ;;
        config) P_CONFIG=$a ;;
        flannel) P_FLANNEL=$a ;;
      esac
      want=
      continue
    fi
    if [ -z "$sub" ]; then
      case $a in
        server | agent) sub=$a ;;
      esac
      continue
    fi
    case $a in
      --) break ;;
      --data-dir=* | -data-dir=* | -d=* | --d=*) P_DATA_DIR=${a#*=} ;;
      --data-dir | -data-dir | -d | --d) want=data ;;
      --config=* | -config=* | -c=* | --c=*) P_CONFIG=${a#*=} ;;
      --config | -config | -c | --c) want=config ;;
      --flannel-backend=* | -flannel-backend=*) P_FLANNEL=${a#*=} ;;
      --flannel-backend | -flannel-backend) want=flannel ;;
    esac
  done
  IFS=' 	
'
  set +f
  case $P_ARGV0 in
    /*/k3s) ;;
    *) P_ARGV0= ;;
  esac
fi

# --- The k3s binary and its version --------------------------------------------------------------

# Where to look, in order: PATH; the binary the running k3s was started from; then the install
# locations: /usr/local/bin (get.k3s.io default), /opt/bin (get.k3s.io when /usr is read-only, as on
# Flatcar), /usr/bin and /usr/sbin (distribution packages), /usr/local/sbin, and NixOS's system
# profile. A non-interactive SSH session often has no /usr/local/bin on PATH.
K3S=
if c=$(command -v k3s 2>/dev/null); then
  case $c in
    /*) if [ -f "$c" ] && [ -x "$c" ]; then K3S=$c; fi ;;
  esac
fi
if [ -z "$K3S" ]; then
  for c in "$P_ARGV0" /usr/local/bin/k3s /opt/bin/k3s /usr/bin/k3s /usr/sbin/k3s /usr/local/sbin/k3s \
    /run/current-system/sw/bin/k3s; do
    if [ -n "$c" ] && [ -f "$c" ] && [ -x "$c" ]; then
      K3S=$c
      break
    fi
  done
fi
[ -n "$K3S" ] || fail no-k3s 3 "k3s not found: not on PATH ($PATH) and not in /usr/local/bin, /opt/bin, /usr/bin, /usr/sbin or /usr/local/sbin; is K3s installed on this node?"
VOUT=$("$K3S" --version 2>/dev/null) || fail no-k3s 3 "$K3S --version failed; is this a K3s binary?"
VLINE=$(printf '%s' "${VOUT%%"$NL"*}" | tr -d '\r')
[ -n "$VLINE" ] || fail no-k3s 3 "$K3S --version printed nothing"

# --- Environment of the running k3s (or of this session when k3s is not running) --------------------

ENV_DATA_DIR=
ENV_CONFIG=
if [ -n "$K3S_PID" ]; then
  [ -r "/proc/$K3S_PID/environ" ] || no_permission "read /proc/$K3S_PID/environ (the running k3s)"
  penv=$({ tr '\000' '\n' <"/proc/$K3S_PID/environ"; } 2>/dev/null) || no_permission "read /proc/$K3S_PID/environ"
  set -f
  IFS=$NL
  for e in $penv; do
    case $e in
      K3S_DATA_DIR=*) ENV_DATA_DIR=${e#K3S_DATA_DIR=} ;;
      K3S_CONFIG_FILE=*) ENV_CONFIG=${e#K3S_CONFIG_FILE=} ;;
    esac
  done
  IFS=' 	
'
  set +f
else
  ENV_DATA_DIR=${K3S_DATA_DIR-}
  ENV_CONFIG=${K3S_CONFIG_FILE-}
fi

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

CFG_DATA_DIR=
CFG_DATA_DIR_FROM=
CFG_FLANNEL=
# read_config FILE: top-level `data-dir` (or `d`) and `flannel-backend` keys; a later one wins.
read_config() {
  [ -r "$1" ] || no_permission "read $1"
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
      data)
        CFG_DATA_DIR=$YV
        CFG_DATA_DIR_FROM=$1
        ;;
      flannel) CFG_FLANNEL=$YV ;;
    esac
  done <"$1"
}

# K3s takes the config file from K3S_CONFIG_FILE, then --config/-c, then the default; drop-ins are
# <config>.d/*.yaml and *.yml in byte order, read after the file itself.
if [ -n "$ENV_CONFIG" ]; then
  CFG=$ENV_CONFIG
elif [ -n "$P_CONFIG" ]; then
  CFG=$P_CONFIG
else
  CFG=/etc/rancher/k3s/config.yaml
fi
case $CFG in
  /*)
    check_access "${CFG%/*}" read
    if [ -e "$CFG" ] || [ -L "$CFG" ]; then read_config "$CFG"; fi
    if [ -d "$CFG.d" ]; then
      { [ -r "$CFG.d" ] && [ -x "$CFG.d" ]; } || no_permission "read $CFG.d"
      for f in "$CFG.d"/*; do
        [ -f "$f" ] || continue
        case $f in
          *.[yY][aA][mM][lL] | *.[yY][mM][lL]) read_config "$f" ;;
        esac
      done
    fi
    ;;
  *) printf '%s: not reading config %s: not an absolute path\n' "$ME" "$CFG" | tr -d '\r' >&2 ;;
esac

# --- Data dir ----------------------------------------------------------------------------------------

# K3s's own order: the command line, then the config file (its values become flags), then the
# K3S_DATA_DIR environment variable (it only seeds the flag's default), then the default.
if [ -n "$ARG_DATA_DIR" ]; then
  DD=$ARG_DATA_DIR
  DD_FROM="the dataDir argument"
elif [ -n "$P_DATA_DIR" ]; then
  DD=$P_DATA_DIR
  DD_FROM="the command line of k3s (pid $K3S_PID)"
elif [ -n "$CFG_DATA_DIR" ]; then
  DD=$CFG_DATA_DIR
  DD_FROM=$CFG_DATA_DIR_FROM
elif [ -n "$ENV_DATA_DIR" ]; then
  DD=$ENV_DATA_DIR
  DD_FROM=K3S_DATA_DIR
else
  DD=/var/lib/rancher/k3s
  DD_FROM=default
fi
safe_path "$DD" || fail bad-data-dir 5 "the K3s data dir from $DD_FROM is not a safe absolute path (letters, digits and / . _ - + @ : only, no . or .. component): $DD"
strip_slash "$DD"
DD=$SP

# --- containerd's generated config -------------------------------------------------------------------

CTRD_DIR=$DD/agent/etc/containerd
check_access "$CTRD_DIR" read
CTRD=
set -f
IFS=$NL
for c in $CTRD_CONFIGS; do
  case $c in
    "$CTRD_DIR"/*) [ -e "$c" ] && CTRD=$c ;;
  esac
done
IFS=' 	
'
set +f
if [ -z "$CTRD" ]; then
  for c in "$CTRD_DIR/config-v3.toml" "$CTRD_DIR/config.toml"; do
    if [ -e "$c" ]; then
      CTRD=$c
      break
    fi
  done
fi

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

CNI_BIN=
CNI_CONF=
if [ -n "$CTRD" ]; then
  [ -r "$CTRD" ] || no_permission "read $CTRD"
  in_cni=
  while IFS= read -r pc_line || [ -n "$pc_line" ]; do
    ltrim "$pc_line"
    pc_line=$LT
    case $pc_line in
      '['*)
        # The CRI plugin's cni table: containerd 1.x config version 2 and 1, containerd 2.x version 3.
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
fi

# An old release's data/<hash>/bin changes on every upgrade; data/current/bin follows it.
case $CNI_BIN in
  */data/*/bin)
    mb_prefix=${CNI_BIN%/data/*/bin}
    mb_hash=${CNI_BIN#"$mb_prefix"/data/}
    mb_hash=${mb_hash%/bin}
    case $mb_hash in
      '' | *[!0-9a-f]*) ;;
      *) CNI_BIN=$mb_prefix/data/current/bin ;;
    esac
    ;;
esac

# --- Flannel -----------------------------------------------------------------------------------------

# Off when this node is configured with flannel-backend none (command line over config files). An
# agent takes the backend from its server, so containerd's generated config is the other witness:
# K3s writes the CNI dirs into it only while flannel is on.
FLANNEL=on
if [ -n "$P_FLANNEL" ]; then
  [ "$P_FLANNEL" = none ] && FLANNEL=off
elif [ "$CFG_FLANNEL" = none ]; then
  FLANNEL=off
fi
if [ -n "$CTRD" ] && [ -z "$CNI_BIN" ] && [ -z "$CNI_CONF" ]; then
  FLANNEL=off
fi

printf 'k3s-multus-detect 1\nversion=%s\ndata_dir=%s\nflannel=%s\nbin_dir=%s\nconf_dir=%s\ncontainerd_config=%s\n' \
  "$VLINE" "$DD" "$FLANNEL" "$CNI_BIN" "$CNI_CONF" "$CTRD"
