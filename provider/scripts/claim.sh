# shellcheck shell=sh
# k3s-multus ownership record, run on each node once the installation's Helm release exists.
# POSIX sh: runs in dash, busybox ash and bash.
#
# Usage: sh -s -- CONF_DIR OWNER < lib.sh+claim.sh
#   CONF_DIR  the CNI conf dir the chart writes to
#   OWNER     the installation's owner id (16 hex digits)
#
# Writes CONF_DIR/multus.d/k3s-multus-owner.OWNER (an empty file; multus.d is created when the
# chart has not yet), the record cleanup.sh requires before it removes the chart's files: so a
# destroy never removes the Multus files of an installation this one did not make. Idempotent.
# Prints `claimed <path>`; on failure `error=<code> <message>` and exits with 2 (usage),
# 4 (no-permission), 5 (bad-path), 6 (refused: multus.d is not a directory) or 1 (failed).
#
# Not run alone: provider/scripts/lib.sh comes first (readNodeScript in provider/src/node/scripts.ts).

set -u
IFS=' 	
'
LC_ALL=C
export LC_ALL
# shellcheck disable=SC2034 # ME names this script in lib.sh's messages
ME=k3s-multus-claim

# parse_args CONF_DIR OWNER: CONF (CONF_DIR without trailing slashes) and OWNER, checked.
parse_args() {
  [ "$#" -eq 2 ] || fail usage 2 "usage: claim.sh CONF_DIR OWNER"
  safe_path "$1" || fail bad-path 5 "CONF_DIR is not a safe absolute path: $1"
  strip_slash "$1"
  CONF=$SP
  case $CONF in
    /*/*) ;;
    *) fail bad-path 5 "CONF_DIR must be at least two levels below / (e.g. /etc/cni/net.d): $1" ;;
  esac
  owner_arg "$2"
  OWNER=$2
}

# make_record_dir: DIR, CONF/multus.d, created when the chart has not yet; refused when it is not a
# directory (a symlink included).
make_record_dir() {
  check_access "$CONF" search
  DIR=$CONF/multus.d
  if [ -L "$DIR" ] || { [ -e "$DIR" ] && [ ! -d "$DIR" ]; }; then
    fail refused 6 "refusing to record ownership in $DIR: it is not a directory"
  fi
  if [ ! -d "$DIR" ]; then
    [ -w "$CONF" ] || [ ! -e "$CONF" ] || no_permission "create $DIR"
    mkdir -p -- "$DIR" || fail failed 1 "could not create $DIR"
  fi
}

# write_record: the empty file DIR/k3s-multus-owner.OWNER, and the `claimed <path>` line.
write_record() {
  [ -w "$DIR" ] || no_permission "write $DIR"
  : >"$DIR/k3s-multus-owner.$OWNER" || fail failed 1 "could not write $DIR/k3s-multus-owner.$OWNER"
  printf 'claimed %s\n' "$DIR/k3s-multus-owner.$OWNER"
}

# --- Main: the pipeline ------------------------------------------------------------------------------

{
  parse_args "$@"   # CONF, OWNER
  make_record_dir   # DIR
  write_record
}
