#!/usr/bin/env bash
# scripts/e2e/tools.sh: builds the real programs the end-to-end tests run
# (helm, the reference CNI plugins, the Pulumi CLI and its language hosts,
# the command and kubernetes providers, kine, kube-apiserver, multus,
# whereabouts, and our data-plane helpers from scripts/e2e/dataplane) from the Go module proxy into a cache outside the repository.
# Idempotent: it builds only what is missing, prints what it built and how
# long each took, and records every binary in $CACHE/VERSIONS.
#
# Usage:
#   tools.sh [NAME...]           build the named tools (default: all) if missing
#   tools.sh --check [NAME...]   exit 1 listing the binaries that are missing
#   tools.sh --list              print the tool names
#   tools.sh plugins PULUMI_HOME [command] [kubernetes]
#                                register the provider binaries in PULUMI_HOME
# Environment: K3S_MULTUS_E2E_CACHE (default ~/.cache/k3s-multus/e2e).
# See docs/e2e.md.
set -euo pipefail

CACHE="${K3S_MULTUS_E2E_CACHE:-$HOME/.cache/k3s-multus/e2e}"
BIN="$CACHE/bin"
SRC="$CACHE/src"
LOGS="$CACHE/logs"
VERSIONS="$CACHE/VERSIONS"

# Pinned versions. CNI_VERSION follows the rke2-multus v4.3.017 chart's
# cniplugins image (rancher/hardened-cni-plugins v1.9.1-build20260819).
HELM_VERSION=v3.22.0
CNI_VERSION=v1.9.1
PULUMI_VERSION=v3.248.0
PULUMI_YAML_VERSION=v1.25.0
COMMAND_VERSION=1.2.1
KUBERNETES_PROVIDER_VERSION=4.34.2
KINE_VERSION=v0.17.5
KUBE_VERSION=v1.35.4
MULTUS_VERSION=v4.3.0
WHEREABOUTS_VERSION=v0.9.4

CNI_DIR="$CACHE/cni/$CNI_VERSION"
CNI_PLUGINS="bridge dummy host-device ipvlan loopback macvlan ptp tap vlan
  dhcp host-local static bandwidth firewall portmap sbr tuning vrf"

# Tools whose module the Go module proxy does not serve (see the build_*
# functions): the default run reports them and does not fail on them.
UNSERVED="flannel pulumi-language-go pulumi-resource-command"

TOOLS="helm cni-plugins flannel pulumi pulumi-language-nodejs
  pulumi-language-python pulumi-language-go pulumi-language-yaml
  pulumi-resource-command kine kube-apiserver pulumi-resource-kubernetes
  multus whereabouts dataplane"

export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

log() { printf '%s\n' "tools.sh: $*" >&2; }

# outputs NAME: the files that tool NAME puts into the cache
outputs() {
  case "$1" in
    helm) echo "$BIN/helm" ;;
    cni-plugins) for p in $CNI_PLUGINS; do echo "$CNI_DIR/$p"; done ;;
    flannel) echo "$CNI_DIR/flannel" ;;
    pulumi) echo "$BIN/pulumi" ;;
    pulumi-language-python) printf '%s\n' "$BIN/$1" "$BIN/$1-exec" ;;
    pulumi-language-*) echo "$BIN/$1" ;;
    pulumi-resource-*) echo "$BIN/$1" ;;
    kine) echo "$BIN/kine" ;;
    kube-apiserver) echo "$BIN/kube-apiserver" ;;
    multus) printf '%s\n' "$BIN/multus" "$BIN/thin_entrypoint" ;;
    whereabouts) printf '%s\n' "$BIN/whereabouts" "$BIN/ip-control-loop" ;;
    dataplane)
      printf '%s\n' "$BIN/k3sm-cni-driver" "$BIN/k3sm-netns-forward"
      for f in $WHEREABOUTS_SCRIPTS; do echo "$CACHE/images/whereabouts/$f"; done
      ;;
    *) return 1 ;;
  esac
}

# missing NAME: prints the outputs of NAME that do not exist yet (for our own
# dataplane programs also when built from other sources than the repository's)
missing() {
  local f
  if [ "$1" = dataplane ] && ! dataplane_current; then
    outputs dataplane
    return 0
  fi
  for f in $(outputs "$1"); do [ -x "$f" ] || echo "$f"; done
}

# origin_hash MODULE@VERSION: the upstream commit the proxy reports, or ""
origin_hash() {
  go mod download -json "$1" 2>/dev/null |
    sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]*\)",\{0,1\}$/\1/p' | head -n 1
}

# pseudo_commit VERSION: the commit prefix of a pseudo-version, or ""
pseudo_commit() {
  case "$1" in
    *-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-*) echo "${1##*-}" ;;
    *) echo "" ;;
  esac
}

# record NAME MODULE@VERSION REVISION SECONDS SMOKE: one VERSIONS line
# (tab-separated, replacing an older line of the same name)
record() {
  local tmp
  # two runs at once (e.g. a subset in the background) take turns
  exec 9>"$CACHE/.versions.lock"
  flock 9
  tmp="$(mktemp "$CACHE/.versions.XXXXXX")"
  if [ -f "$VERSIONS" ]; then
    awk -F '\t' -v n="$1" 'NR > 1 && $1 != n' "$VERSIONS" >"$tmp"
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "${3:--}" "$4" "$5" >>"$tmp"
  {
    printf 'name\tmodule@version\trevision\tbuild_seconds\tsmoke_output\n'
    sort -t "$(printf '\t')" -k1,1 "$tmp"
  } >"$VERSIONS"
  rm -f "$tmp"
  exec 9>&-
}

# smoke CMD...: the first line of the command's output, tabs flattened
smoke() {
  "$@" 2>&1 | tr '\t' ' ' | grep -v '^[[:space:]]*$' | head -n 1 || true
}

# wrapper DIR: a fresh wrapper module in $SRC/DIR (cwd set there)
wrapper() {
  rm -rf "${SRC:?}/$1"
  mkdir -p "$SRC/$1"
  cd "$SRC/$1"
  go mod init "k3s-multus-e2e/$1" >/dev/null 2>&1
}

gobuild() { nice -n 10 go build -trimpath "$@"; }

# ---------------------------------------------------------------- builders
# Each build_NAME builds tool NAME and calls record for every binary.

build_helm() {
  GOBIN="$BIN" nice -n 10 go install \
    -ldflags "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}
stamp_helm() {
  local m=helm.sh/helm/v3
  record helm "$m@$HELM_VERSION" "$(origin_hash "$m@$HELM_VERSION")" "$1" \
    "$(smoke "$BIN/helm" version)"
}

build_cni_plugins() {
  local m=github.com/containernetworking/plugins p pkgs=""
  wrapper cni-plugins
  go mod download "$m@$CNI_VERSION"
  # every plugins/{main,ipam,meta}/* but the Windows ones
  for p in "$(go env GOMODCACHE)/$m@$CNI_VERSION"/plugins/{main,ipam,meta}/*; do
    [ "${p##*/}" = windows ] || pkgs="$pkgs $m/${p#*/plugins@"$CNI_VERSION"/}"
  done
  # shellcheck disable=SC2046,SC2086 # a list of packages
  go get $(printf " %s@$CNI_VERSION" $pkgs)
  mkdir -p "$CNI_DIR"
  for p in $pkgs; do
    gobuild -o "$CNI_DIR/${p##*/}" -ldflags \
      "-X $m/pkg/utils/buildversion.BuildVersion=$CNI_VERSION" "$p"
  done
}
stamp_cni_plugins() {
  local m=github.com/containernetworking/plugins p rev
  rev="$(origin_hash "$m@$CNI_VERSION")"
  for p in $CNI_PLUGINS; do
    # with no CNI_COMMAND a plugin prints its name and build version
    record "cni/$CNI_VERSION/$p" "$m@$CNI_VERSION" "$rev" "$1" \
      "$(smoke env -u CNI_COMMAND "$CNI_DIR/$p" </dev/null)"
  done
}

# not_served MODULE WHY: for a tool the Go module proxy does not serve
not_served() {
  log "cannot build: $1 is not served by the Go module proxy ($2)"
  return 3
}

build_flannel() {
  not_served github.com/flannel-io/cni-plugin \
    "every version and the version list answer 403"
}

build_pulumi() {
  local m=github.com/pulumi/pulumi/pkg/v3
  wrapper pulumi
  # pkg's go.mod replaces sdk/v3 with ../sdk (the published sdk/v3 of the
  # same version is that tree) and atotto/clipboard with a fork: copy the fork.
  go mod edit -replace \
    github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
  go get "$m/cmd/pulumi@$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION"
  gobuild -o "$BIN/pulumi" -ldflags \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    "$m/cmd/pulumi"
}
stamp_pulumi() {
  local m=github.com/pulumi/pulumi/pkg/v3
  record pulumi "$m@$PULUMI_VERSION" "$(origin_hash "$m@$PULUMI_VERSION")" \
    "$1" "$(smoke "$BIN/pulumi" version)"
}

# The nodejs and python hosts moved out of sdk/v3 into nested modules
# (sdk/{nodejs,python}/cmd/pulumi-language-*/v3) that the proxy does not
# serve. sdk/v3 v3.68.0 is the newest served sdk/v3 that still contains them:
# an older host than the CLI. It runs Node/TypeScript programs with
# @pulumi/pulumi 3.248; its RunPlugin answers "not supported", so it cannot
# start source-based (PulumiPlugin.yaml runtime: nodejs) plugins.
OLD_HOST_SDK_VERSION=v3.68.0
# build_old_host LANG: pulumi-language-LANG from sdk/v3@OLD_HOST_SDK_VERSION
build_old_host() {
  local m=github.com/pulumi/pulumi/sdk/v3
  wrapper "pulumi-language-$1"
  go get "$m/$1/cmd/pulumi-language-$1@$OLD_HOST_SDK_VERSION"
  gobuild -o "$BIN/pulumi-language-$1" -ldflags \
    "-X $m/go/common/version.Version=$OLD_HOST_SDK_VERSION" \
    "$m/$1/cmd/pulumi-language-$1"
  if [ "$1" = python ]; then
    # the python host runs programs through this shim, found next to it
    install -m 0755 \
      "$(go env GOMODCACHE)/$m@$OLD_HOST_SDK_VERSION/python/cmd/pulumi-language-python-exec" \
      "$BIN/pulumi-language-python-exec"
  fi
}
# stamp_old_host LANG SECONDS
stamp_old_host() {
  local m=github.com/pulumi/pulumi/sdk/v3
  record "pulumi-language-$1" "$m@$OLD_HOST_SDK_VERSION" \
    "$(origin_hash "$m@$OLD_HOST_SDK_VERSION")" "$2" "$(smoke_language "$1")"
}
build_pulumi_language_nodejs() { build_old_host nodejs; }
stamp_pulumi_language_nodejs() { stamp_old_host nodejs "$1"; }
build_pulumi_language_python() { build_old_host python; }
stamp_pulumi_language_python() { stamp_old_host python "$1"; }

build_pulumi_language_go() {
  not_served github.com/pulumi/pulumi/sdk/go/pulumi-language-go/v3 \
    "no version, tag or commit of this nested module is served; no served sdk/v3 contains it"
}

build_pulumi_language_yaml() {
  local m=github.com/pulumi/pulumi-yaml
  wrapper pulumi-language-yaml
  go get "$m/cmd/pulumi-language-yaml@$PULUMI_YAML_VERSION"
  gobuild -o "$BIN/pulumi-language-yaml" -ldflags \
    "-X $m/pkg/version.Version=${PULUMI_YAML_VERSION#v}" \
    "$m/cmd/pulumi-language-yaml"
}
stamp_pulumi_language_yaml() {
  local m=github.com/pulumi/pulumi-yaml
  record pulumi-language-yaml "$m@$PULUMI_YAML_VERSION" \
    "$(origin_hash "$m@$PULUMI_YAML_VERSION")" "$1" "$(smoke_language yaml)"
}

# smoke_language RUNTIME: the language plugin line of `pulumi about` in a
# throwaway project of that runtime (a language host has no --version; this
# also shows that the CLI finds the host next to itself)
smoke_language() {
  local d
  [ -x "$BIN/pulumi" ] || { echo "(no pulumi CLI to ask)"; return 0; }
  d="$(mktemp -d)"
  printf 'name: smoke\nruntime: %s\n' "$1" >"$d/Pulumi.yaml"
  (cd "$d" && PULUMI_HOME="$d/home" PULUMI_BACKEND_URL="file://$d" \
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_SKIP_UPDATE_CHECK=true \
    "$BIN/pulumi" about 2>&1 | grep "^language" | tr -s ' ' | head -n 1) || true
  rm -rf "$d"
}

build_pulumi_resource_command() {
  not_served github.com/pulumi/pulumi-command/provider \
    "no version or commit served; github.com/pulumi/pulumi-command@v$COMMAND_VERSION is, but its zip leaves out the nested provider module"
}

build_kine() {
  local m=github.com/k3s-io/kine
  GOBIN="$BIN" nice -n 10 go install -trimpath -ldflags \
    "-X $m/pkg/version.Version=$KINE_VERSION -X $m/pkg/version.GitCommit=$(origin_hash "$m@$KINE_VERSION" | cut -c1-8)" \
    "$m@$KINE_VERSION"
}
stamp_kine() {
  local m=github.com/k3s-io/kine
  record kine "$m@$KINE_VERSION" "$(origin_hash "$m@$KINE_VERSION")" "$1" \
    "$(smoke "$BIN/kine" --version)"
}

# kube-apiserver: k8s.io/kubernetes replaces its staging modules (k8s.io/api,
# apimachinery, apiserver, client-go, ...) with ./staging/src/...; the wrapper
# replaces each with its published k8s.io/* v0.<minor>.<patch> instead.
build_kube_apiserver() {
  local m=k8s.io/kubernetes rev staged v0 x ld=""
  wrapper kube-apiserver
  go mod download "$m@$KUBE_VERSION"
  v0="v0.${KUBE_VERSION#v1.}"
  staged="$(go mod download -json "$m@$KUBE_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' |
    xargs sed -n 's|^[[:space:]]*\(k8s.io/[a-z-]*\) => ./staging/src/.*|\1|p')"
  for x in $staged; do go mod edit -replace "$x=$x@$v0"; done
  go get "$m/cmd/kube-apiserver@$KUBE_VERSION"
  rev="$(origin_hash "$m@$KUBE_VERSION")"
  for x in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $x.gitVersion=$KUBE_VERSION -X $x.gitCommit=$rev"
    ld="$ld -X $x.gitTreeState=clean -X $x.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    ld="$ld -X $x.gitMajor=1 -X $x.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2)"
  done
  gobuild -o "$BIN/kube-apiserver" -ldflags "$ld" "$m/cmd/kube-apiserver"
}
stamp_kube_apiserver() {
  local m=k8s.io/kubernetes
  record kube-apiserver "$m@$KUBE_VERSION" "$(origin_hash "$m@$KUBE_VERSION")" \
    "$1" "$(smoke "$BIN/kube-apiserver" --version)"
}

# pulumi-resource-kubernetes: the proxy serves one pseudo-version of
# provider/v4 (not v4.34.2; the repository tags are on its root module, which
# the proxy does not serve). The provider embeds schema-embed.json, made by
# `go generate` (cmd/pulumi-resource-kubernetes/generate.go: schema.json with
# the version set), so the module is copied out of the module cache and
# generated there. Its go.mod replaces sdk/v4 with ../sdk: the published
# sdk/v4 of the version it requires stands in.
K8S_PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
build_pulumi_resource_kubernetes() {
  local m=github.com/pulumi/pulumi-kubernetes/provider/v4 dir sdk
  local v=$K8S_PROVIDER_MODULE_VERSION
  rm -rf "${SRC:?}/pulumi-resource-kubernetes"
  mkdir -p "$SRC/pulumi-resource-kubernetes"
  dir="$(go mod download -json "$m@$v" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  cp -R "$dir" "$SRC/pulumi-resource-kubernetes/provider"
  chmod -R u+w "$SRC/pulumi-resource-kubernetes/provider"
  cd "$SRC/pulumi-resource-kubernetes/provider"
  sdk="$(go mod edit -json | sed -n '/"Path": "github.com\/pulumi\/pulumi-kubernetes\/sdk\/v4"/{n;s/.*"Version": "\(.*\)".*/\1/p;}' | head -n 1)"
  go mod edit -replace "github.com/pulumi/pulumi-kubernetes/sdk/v4=github.com/pulumi/pulumi-kubernetes/sdk/v4@$sdk"
  go mod download
  (cd cmd/pulumi-resource-kubernetes && VERSION="${v#v}" nice -n 10 go generate ./...)
  gobuild -o "$BIN/pulumi-resource-kubernetes" -ldflags \
    "-X $m/pkg/version.Version=${v#v}" ./cmd/pulumi-resource-kubernetes
}
stamp_pulumi_resource_kubernetes() {
  local m=github.com/pulumi/pulumi-kubernetes/provider/v4
  record pulumi-resource-kubernetes "$m@$K8S_PROVIDER_MODULE_VERSION" \
    "$(pseudo_commit "$K8S_PROVIDER_MODULE_VERSION")" "$1" \
    "$(smoke "$BIN/pulumi-resource-kubernetes" --version)"
}

build_multus() {
  local m=gopkg.in/k8snetworkplumbingwg/multus-cni.v4 rev x ld=""
  rev="$(origin_hash "$m@$MULTUS_VERSION")"
  ld="-X $m/pkg/multus.version=${MULTUS_VERSION#v} -X $m/pkg/multus.commit=$rev"
  ld="$ld -X $m/pkg/multus.gitTreeState=clean -X $m/pkg/multus.releaseStatus=released"
  ld="$ld -X $m/pkg/multus.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  # a wrapper module: `go install m@v` asks for the module's version list
  # (for deprecations), which the proxy refuses for this module
  wrapper multus
  go get "$m/cmd/multus@$MULTUS_VERSION" "$m/cmd/thin_entrypoint@$MULTUS_VERSION"
  for x in multus thin_entrypoint; do
    gobuild -o "$BIN/$x" -ldflags "$ld" "$m/cmd/$x"
  done
}
stamp_multus() {
  local m=gopkg.in/k8snetworkplumbingwg/multus-cni.v4 rev
  rev="$(origin_hash "$m@$MULTUS_VERSION")"
  record multus "$m@$MULTUS_VERSION" "$rev" "$1" "$(smoke "$BIN/multus" -version)"
  record thin_entrypoint "$m@$MULTUS_VERSION" "$rev" "$1" \
    "$(smoke "$BIN/thin_entrypoint" --version)"
}

# whereabouts: its go.mod has a replace (gogo/protobuf), so go install
# refuses it; the wrapper copies the replace. The chart's DaemonSet copies
# the whereabouts CNI plugin to the node and runs ip-control-loop.
build_whereabouts() {
  local m=github.com/k8snetworkplumbingwg/whereabouts rev ld
  wrapper whereabouts
  go mod edit -replace github.com/gogo/protobuf=github.com/gogo/protobuf@v1.3.2
  go get "$m/cmd@$WHEREABOUTS_VERSION" "$m/cmd/controlloop@$WHEREABOUTS_VERSION"
  rev="$(origin_hash "$m@$WHEREABOUTS_VERSION")"
  ld="-X $m/pkg/version.Version=$WHEREABOUTS_VERSION -X $m/pkg/version.GitSHA=$rev"
  ld="$ld -X $m/pkg/version.GitTreeState=clean -X $m/pkg/version.ReleaseStatus=released"
  gobuild -o "$BIN/whereabouts" -ldflags "$ld" "$m/cmd"
  gobuild -o "$BIN/ip-control-loop" -ldflags "$ld" "$m/cmd/controlloop"
}
stamp_whereabouts() {
  local m=github.com/k8snetworkplumbingwg/whereabouts rev
  rev="$(origin_hash "$m@$WHEREABOUTS_VERSION")"
  record whereabouts "$m@$WHEREABOUTS_VERSION" "$rev" "$1" \
    "$(smoke env -u CNI_COMMAND "$BIN/whereabouts" </dev/null)"
  record ip-control-loop "$m@$WHEREABOUTS_VERSION" "$rev" "$1" \
    "$(smoke "$BIN/ip-control-loop" --help)"
}

# dataplane: our own two programs for tests/dataplane (sources in the
# repository, scripts/e2e/dataplane): k3sm-cni-driver runs the CNI chain as
# containerd's go-cni does (libcni), k3sm-netns-forward makes the API server
# reachable inside a simulated node's network namespace. The sources are
# copied into the cache first (the build never writes into the repository).
# Also the whereabouts image's scripts, from whereabouts' own module.
DATAPLANE_SRC="$(cd "$(dirname "$0")" && pwd)/dataplane"
WHEREABOUTS_SCRIPTS="install-cni.sh lib.sh token-watcher.sh"
build_dataplane() {
  local dir f
  rm -rf "${SRC:?}/dataplane"
  cp -R "$DATAPLANE_SRC" "$SRC/dataplane"
  cd "$SRC/dataplane"
  gobuild -o "$BIN/k3sm-cni-driver" ./cni-driver
  gobuild -o "$BIN/k3sm-netns-forward" ./netns-forward
  dir="$(go mod download -json "github.com/k8snetworkplumbingwg/whereabouts@$WHEREABOUTS_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  mkdir -p "$CACHE/images/whereabouts"
  for f in $WHEREABOUTS_SCRIPTS; do
    install -m 0755 "$dir/script/$f" "$CACHE/images/whereabouts/$f"
  done
}
# dataplane_sum: a digest of the sources (go.mod, go.sum, the programs)
dataplane_sum() {
  cat "$DATAPLANE_SRC"/go.mod "$DATAPLANE_SRC"/go.sum "$DATAPLANE_SRC"/*/main.go | sha256sum | cut -c1-12
}
# dataplane_current: true when VERSIONS records a build of these sources
dataplane_current() {
  [ -f "$VERSIONS" ] && awk -F '\t' -v m="scripts/e2e/dataplane@$(dataplane_sum)" \
    '$1 == "k3sm-cni-driver" && $2 == m { f = 1 } END { exit !f }' "$VERSIONS"
}
stamp_dataplane() {
  local sum
  sum="$(dataplane_sum)"
  record k3sm-cni-driver "scripts/e2e/dataplane@$sum" "-" "$1" \
    "$(smoke "$BIN/k3sm-cni-driver")"
  record k3sm-netns-forward "scripts/e2e/dataplane@$sum" "-" "$1" \
    "$(smoke "$BIN/k3sm-netns-forward" -h)"
}

# ------------------------------------------------------------------- main

# fn PREFIX NAME: the function PREFIX_NAME for tool NAME
fn() { echo "${1}_$(echo "$2" | tr '-' '_')"; }

# run_one NAME: builds NAME, then records it with its build seconds
run_one() {
  local s=$SECONDS
  "$(fn build "$1")"
  "$(fn stamp "$1")" $((SECONDS - s))
}

# recorded NAME: true when VERSIONS has a line for (a binary of) NAME
recorded() {
  local n=$1
  [ "$n" = cni-plugins ] && n="cni/$CNI_VERSION/bridge"
  [ -f "$VERSIONS" ] && awk -F '\t' -v n="$n" '$1 == n { f = 1 } END { exit !f }' "$VERSIONS"
}

# build NAME: builds NAME when some output is missing; prints the time taken
build() {
  local name=$1 s rc=0
  if [ -z "$(missing "$name")" ]; then
    log "$name: present"
    # built by other means (by hand, or before VERSIONS existed): record it
    recorded "$name" || bash "$0" __stamp "$name" >>"$LOGS/$name.log" 2>&1
    return 0
  fi
  s=$SECONDS
  log "$name: building (log $LOGS/$name.log)"
  # A process of its own, so that set -e holds inside the builder.
  bash "$0" __run "$name" >"$LOGS/$name.log" 2>&1 || rc=$?
  if [ "$rc" -eq 0 ] && [ -z "$(missing "$name")" ]; then
    log "$name: built in $((SECONDS - s))s"
    return 0
  fi
  log "$name: FAILED after $((SECONDS - s))s (exit $rc); tail of $LOGS/$name.log:"
  tail -n 5 "$LOGS/$name.log" >&2
  return 1
}

# unserved NAME: true when NAME is one of UNSERVED
unserved() {
  local t
  for t in $UNSERVED; do [ "$t" = "$1" ] && return 0; done
  return 1
}

check() {
  local name f bad=0 why
  for name in "$@"; do
    why=""
    unserved "$name" && why=" (not served by the Go module proxy)"
    for f in $(missing "$name"); do
      echo "missing: $name: $f$why"
      bad=1
    done
  done
  return "$bad"
}

# plugins PULUMI_HOME [PROVIDER...]: registers provider binaries (default:
# command and kubernetes) with that PULUMI_HOME, never downloading
plugins() {
  local home=${1:-} p v
  [ -n "$home" ] || { log "usage: tools.sh plugins PULUMI_HOME [command] [kubernetes]"; return 2; }
  shift
  check pulumi || return 1
  mkdir -p "$home"
  [ $# -gt 0 ] || set -- command kubernetes
  for p in "$@"; do
    case "$p" in
      command) v=$COMMAND_VERSION ;;
      kubernetes) v=$KUBERNETES_PROVIDER_VERSION ;;
      *) log "unknown provider '$p'; known: command kubernetes"; return 2 ;;
    esac
    check "pulumi-resource-$p" || return 1
    PULUMI_HOME="$home" PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
      PULUMI_SKIP_UPDATE_CHECK=true \
      "$BIN/pulumi" plugin install resource "$p" "$v" --file "$BIN/pulumi-resource-$p"
  done
}

known() {
  local t
  for t in $TOOLS; do [ "$t" = "$1" ] && return 0; done
  log "unknown tool '$1'; known: $(echo "$TOOLS" | tr -s ' \n' ' ')"
  return 2
}

main() {
  local mode=build names name failed="" skipped="" s=$SECONDS
  case "${1:-}" in
    --check) mode=check; shift ;;
    --list)
      # shellcheck disable=SC2086 # a list of names
      printf '%s\n' $TOOLS
      return 0
      ;;
    plugins) shift; plugins "$@"; return ;;
    __run) run_one "$2"; return ;;
    __stamp) "$(fn stamp "$2")" -; return ;;
    -h | --help) sed -n '2,17p' "$0"; return 0 ;;
  esac
  names="${*:-$TOOLS}"
  # shellcheck disable=SC2086 # a list of names
  for name in $names; do known "$name"; done
  if [ "$mode" = check ]; then
    # shellcheck disable=SC2086 # a list of names
    check $names
    return
  fi
  mkdir -p "$BIN" "$SRC" "$LOGS"
  for name in $names; do
    if unserved "$name" && [ -n "$(missing "$name")" ]; then
      log "$name: skipped: $(bash "$0" __run "$name" 2>&1 | sed 's/^tools.sh: //')"
      skipped="$skipped $name"
      continue
    fi
    build "$name" || failed="$failed $name"
  done
  log "done in $((SECONDS - s))s; versions in $VERSIONS"
  [ -z "$skipped" ] || log "not served by the Go module proxy, not built:$skipped"
  if [ -n "$failed" ]; then
    log "FAILED:$failed"
    return 1
  fi
}

main "$@"
