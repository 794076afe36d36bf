#!/usr/bin/env bash
# Generates the k3s-multus language SDKs from the checked-in sdk/schema.json into OUT/<language>
# (default dist/sdk, git-ignored). Nobody edits generated code by hand, and none is checked in:
# consumers get theirs from `pulumi package add` (docs/sdks.md); these are for CI and releases.
#
#   scripts/gen-sdks.sh                               python, go, dotnet and nodejs
#   scripts/gen-sdks.sh --language python --out DIR   one language (repeatable), another place
#   scripts/gen-sdks.sh --generator sdkgen            force the fallback below
#
# Generator, per language:
#   pulumi   `pulumi package gen-sdk sdk/schema.json --language L` (the Pulumi CLI, which hands the
#            schema to its language host pulumi-language-L): used when both are installed (in auto
#            mode a failure, e.g. a host too old for GeneratePackage, falls back to sdkgen).
#   sdkgen   the same code generators called directly, from the Go module proxy, at the version
#            pinned in scripts/sdkgen*/go.mod: scripts/sdkgen (pkg/v3 codegen for python, go,
#            nodejs) and scripts/sdkgen-dotnet (the .NET generator). Used where the language hosts
#            cannot be installed (they are nested Go modules the proxy does not serve). Needs Go.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

languages=()
out=dist/sdk
generator=auto
while [ "$#" -gt 0 ]; do
  case $1 in
    --language | --out | --generator)
      [ "$#" -ge 2 ] || { echo "gen-sdks: $1 needs a value" >&2; exit 2; }
      case $1 in
        --language) languages+=("$2") ;;
        --out) out=$2 ;;
        --generator) generator=$2 ;;
      esac
      shift 2
      ;;
    -h | --help)
      sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "gen-sdks: unknown argument $1 (see --help)" >&2
      exit 2
      ;;
  esac
done
[ "${#languages[@]}" -gt 0 ] || languages=(python go dotnet nodejs)
case $generator in auto | pulumi | sdkgen) ;; *) echo "gen-sdks: --generator auto|pulumi|sdkgen" >&2; exit 2 ;; esac
mkdir -p "$out"
out=$(cd "$out" && pwd)

export PULUMI_SKIP_UPDATE_CHECK=true
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# True when the Pulumi CLI and its language host for $1 are installed.
has_cli_for() {
  command -v pulumi >/dev/null 2>&1 || return 1
  local dir
  dir=$(dirname "$(command -v pulumi)")
  [ -x "$dir/pulumi-language-$1" ] || command -v "pulumi-language-$1" >/dev/null 2>&1
}

# Builds a generator once per run (Go's build cache makes later runs quick).
sdkgen_bin() {
  local name=$1
  if [ ! -x "$tmp/$name" ]; then
    command -v go >/dev/null 2>&1 || { echo "gen-sdks: neither pulumi-language-* nor Go is installed" >&2; exit 127; }
    (cd "scripts/$name" && go build -o "$tmp/$name" .)
  fi
  echo "$tmp/$name"
}

for lang in "${languages[@]}"; do
  case $lang in
    python | go | dotnet | nodejs) ;;
    *) echo "gen-sdks: unknown language $lang (python, go, dotnet, nodejs)" >&2; exit 2 ;;
  esac
  use=$generator
  if [ "$use" = auto ]; then
    if has_cli_for "$lang"; then use=pulumi; else use=sdkgen; fi
  fi
  rm -rf "${out:?}/$lang"
  if [ "$use" = pulumi ]; then
    echo "gen-sdks: $lang with pulumi $(pulumi version) (pulumi package gen-sdk)"
    if pulumi package gen-sdk "$repo/sdk/schema.json" --language "$lang" --out "$tmp/cli"; then
      mv "$tmp/cli/$lang" "$out/$lang"
    elif [ "$generator" = auto ]; then
      # e.g. a language host too old for GeneratePackage ("method GeneratePackage not implemented")
      echo "gen-sdks: pulumi package gen-sdk failed for $lang; using scripts/sdkgen instead" >&2
      use=sdkgen
    else
      exit 1
    fi
  fi
  if [ "$use" = pulumi ]; then
    :
  elif [ "$lang" = dotnet ]; then
    "$(sdkgen_bin sdkgen-dotnet)" -schema "$repo/sdk/schema.json" -out "$out/$lang"
  else
    "$(sdkgen_bin sdkgen)" -schema "$repo/sdk/schema.json" -language "$lang" -out "$out/$lang"
  fi
  [ -n "$(ls -A "$out/$lang" 2>/dev/null)" ] || { echo "gen-sdks: nothing was generated for $lang" >&2; exit 1; }
  echo "gen-sdks: wrote $out/$lang"
done
