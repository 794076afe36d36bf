# shellcheck shell=sh
# k3s-multus node clean-up, run on destroy after the NetworkAttachmentDefinitions and the Helm
# release are gone. POSIX sh: runs in dash, busybox ash and bash.
#
# Usage: sh -s -- CONF_DIR BIN_DIR WHEREABOUTS OWNER < lib.sh+cleanup.sh
#   CONF_DIR     the CNI conf dir the chart wrote to (e.g. /var/lib/rancher/k3s/agent/etc/cni/net.d)
#   BIN_DIR      the CNI bin dir the chart wrote to (e.g. /var/lib/rancher/k3s/data/cni)
#   WHEREABOUTS  yes when the chart installed whereabouts, else no
#   OWNER        the installation's owner id (16 hex digits), as claim.sh recorded it
#
# Ownership: claim.sh runs once the installation's Helm release exists and records
# CONF_DIR/multus.d/k3s-multus-owner.OWNER. Without that record this script removes nothing (the
# files belong to an installation this one never completed, e.g. a second stack whose release
# failed); it removes its own record, and the chart's files only when no other installation's
# record remains.
#
# Removes exactly what the rke2-multus chart leaves on a node, and nothing else:
#   CONF_DIR/00-multus.conf, CONF_DIR/00-multus.conflist, CONF_DIR/multus.d/, BIN_DIR/multus,
#   and with WHEREABOUTS=yes also CONF_DIR/whereabouts.d/ and BIN_DIR/whereabouts.
# Flannel's 10-flannel.conflist, other CNI configs and every other binary in BIN_DIR (including
# the reference plugins the chart's init container copies, which on K3s are K3s's own) stay.
# Prints one `removed <path>` line per item and a summary; exits 0 when there is nothing left to
# remove, so running it twice is harmless. On failure prints `error=<code> <message>` to stdout,
# the message to stderr, and exits with 2 (usage), 4 (no-permission), 5 (bad-path: a directory
# that is not a safe absolute path at least two levels below /), 6 (refused: an item has an
# unexpected type, e.g. a directory named multus; nothing is removed unless every check passes) or
# 1 (failed: rm itself failed, e.g. on a read-only file system).
#
# Not run alone: the script that runs is provider/scripts/lib.sh (fail, no_permission, strip_slash,
# safe_path, check_access) followed by this file, as readNodeScript in provider/src/node/scripts.ts
# joins them; `k3s-multus script cleanup` prints it (docs/node-scripts.md).

set -u
IFS=' 	
'
LC_ALL=C
export LC_ALL
ME=k3s-multus-cleanup
NL='
'

# dir_arg NAME VALUE: a safe absolute path at least two levels below / (so never /, /etc or /opt).
dir_arg() {
  safe_path "$2" || fail bad-path 5 "$1 is not a safe absolute path (letters, digits and / . _ - + @ : only, no . or .. component): $2"
  strip_slash "$2"
  case $SP in
    /*/*) ;;
    *) fail bad-path 5 "$1 must be at least two levels below / (e.g. /etc/cni/net.d): $2" ;;
  esac
}

# parse_args CONF_DIR BIN_DIR WHEREABOUTS OWNER: CONF_DIR, BIN_DIR, WHEREABOUTS and OWNER, checked.
parse_args() {
  [ "$#" -eq 4 ] || fail usage 2 "usage: cleanup.sh CONF_DIR BIN_DIR yes|no OWNER"
  dir_arg CONF_DIR "$1"
  CONF_DIR=$SP
  dir_arg BIN_DIR "$2"
  BIN_DIR=$SP
  case $3 in
    yes | no) WHEREABOUTS=$3 ;;
    *) fail usage 2 "WHEREABOUTS must be yes or no: $3" ;;
  esac
  owner_arg "$4"
  OWNER=$4
}

# list_items: ITEMS, one `KIND PATH` line per item the chart leaves. A file item may be a regular
# file or a symlink; a dir item a directory or a symlink (rm removes the link, never what it points to).
list_items() {
  ITEMS="file $CONF_DIR/00-multus.conf
file $CONF_DIR/00-multus.conflist
dir $CONF_DIR/multus.d
file $BIN_DIR/multus"
  if [ "$WHEREABOUTS" = yes ]; then
    ITEMS="$ITEMS
dir $CONF_DIR/whereabouts.d
file $BIN_DIR/whereabouts"
  fi
}

# check_dirs: fails with no-permission unless both dirs can be searched (absent is never hidden).
check_dirs() {
  check_access "$CONF_DIR" search
  check_access "$BIN_DIR" search
}

# check_ownership: MARK, this installation's record; exits 0 having removed nothing when there is
# none, or having removed only the record when another installation's remains.
check_ownership() {
  MARK=$CONF_DIR/multus.d/k3s-multus-owner.$OWNER
  if [ ! -f "$MARK" ]; then
    printf '%s: nothing removed: %s has no record of installation %s (its release never completed on this node, or another installation owns these files)\n' "$ME" "$CONF_DIR" "$OWNER"
    exit 0
  fi
  for other in "$CONF_DIR"/multus.d/k3s-multus-owner.*; do
    if [ "$other" = "$MARK" ] || [ ! -e "$other" ]; then continue; fi
    [ -w "$CONF_DIR/multus.d" ] || no_permission "remove $MARK"
    rm -f -- "$MARK" || fail failed 1 "could not remove $MARK"
    printf 'removed %s\n' "$MARK"
    printf '%s: left the Multus files in place: %s still records another installation (%s)\n' "$ME" "$CONF_DIR" "${other##*.}"
    exit 0
  done
  # From here on this installation is the last owner: multus.d, with the record, goes below.
}

# check_items: FOUND, the items that exist; fails (removing nothing) unless every one of them has
# the expected type and can be removed.
check_items() {
  FOUND=
  set -f
  IFS=$NL
  for item in $ITEMS; do
    kind=${item%% *}
    path=${item#* }
    [ -e "$path" ] || [ -L "$path" ] || continue
    if [ ! -L "$path" ]; then
      case $kind in
        file) [ -d "$path" ] && fail refused 6 "refusing to remove $path: it is a directory, expected the file the chart writes" ;;
        dir) [ -d "$path" ] || fail refused 6 "refusing to remove $path: it is not a directory, expected the directory the chart writes" ;;
      esac
    fi
    [ -w "${path%/*}" ] || no_permission "remove $path"
    FOUND=$FOUND$item$NL
  done
  IFS=' 	
'
  set +f
}

# remove_items: removes the FOUND items, one `removed <path>` line each; COUNT, how many.
remove_items() {
  COUNT=0
  set -f
  IFS=$NL
  for item in $FOUND; do
    kind=${item%% *}
    path=${item#* }
    if [ "$kind" = dir ] && [ ! -L "$path" ]; then
      rm -rf -- "$path" || fail failed 1 "could not remove $path"
    else
      rm -f -- "$path" || fail failed 1 "could not remove $path"
    fi
    printf 'removed %s\n' "$path"
    COUNT=$((COUNT + 1))
  done
  IFS=' 	
'
  set +f
}

# report: the summary line on stdout.
report() {
  if [ "$COUNT" -eq 0 ]; then
    printf '%s: nothing to remove in %s and %s\n' "$ME" "$CONF_DIR" "$BIN_DIR"
  else
    printf '%s: removed %s item(s) from %s and %s\n' "$ME" "$COUNT" "$CONF_DIR" "$BIN_DIR"
  fi
}

# --- Main: the pipeline ------------------------------------------------------------------------------

{
  parse_args "$@"   # CONF_DIR, BIN_DIR, WHEREABOUTS, OWNER
  list_items        # ITEMS
  check_dirs
  check_ownership   # MARK; stops here unless this installation is the last owner
  check_items       # FOUND; nothing is removed unless every item passes
  remove_items      # COUNT
  report
}
