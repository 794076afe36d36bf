#!/usr/bin/env bash
# Generates the k3s-multus language SDKs into sdk/<language> with the Pulumi CLI
# (`pulumi package gen-sdk`), from the checked-in sdk/schema.json: the SDKs describe exactly the
# schema that CI checks against the provider source. Nobody edits generated code by hand.
#
#   scripts/gen-sdks.sh                          python, go, dotnet and nodejs
#   scripts/gen-sdks.sh --language python        one language (repeatable)
#   scripts/gen-sdks.sh --from-plugin            ask the plugin in provider/ for its schema instead
#
# Needs the Pulumi CLI (https://www.pulumi.com/docs/iac/download-install/); the language
# toolchains are not needed, the code generators are part of the CLI. Exits 127 without the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

languages=()
source_arg=sdk/schema.json
while [ "$#" -gt 0 ]; do
  case $1 in
    --language)
      [ "$#" -ge 2 ] || { echo "gen-sdks: --language needs a value" >&2; exit 2; }
      languages+=("$2")
      shift 2
      ;;
    --from-plugin)
      source_arg=provider
      shift
      ;;
    -h | --help)
      sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "gen-sdks: unknown argument $1 (see --help)" >&2
      exit 2
      ;;
  esac
done
[ "${#languages[@]}" -gt 0 ] || languages=(python go dotnet nodejs)

if ! command -v pulumi >/dev/null 2>&1; then
  cat >&2 <<'EOF'
gen-sdks: the Pulumi CLI is not installed, so no SDK was generated.
  Install it (https://www.pulumi.com/docs/iac/download-install/), e.g.
    curl -fsSL https://get.pulumi.com | sh && export PATH="$HOME/.pulumi/bin:$PATH"
  then run scripts/gen-sdks.sh again. The release workflow (.github/workflows/release.yml) does
  this on every tag. Consumers do not need these SDKs: `pulumi package add` generates one locally.
EOF
  exit 127
fi

if [ "$source_arg" = provider ] && [ ! -f provider/bin/schema.json ]; then
  echo "gen-sdks: provider/ is not built: run npm ci && npm run build first" >&2
  exit 1
fi

export PULUMI_SKIP_UPDATE_CHECK=true
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for lang in "${languages[@]}"; do
  case $lang in
    python | go | dotnet | nodejs | java) ;;
    *)
      echo "gen-sdks: unknown language $lang (python, go, dotnet, nodejs, java)" >&2
      exit 2
      ;;
  esac
  echo "gen-sdks: $lang from $source_arg"
  out="$tmp/$lang-out"
  pulumi package gen-sdk "$source_arg" --language "$lang" --out "$out"
  # Current CLIs write <out>/<language>; older ones wrote into <out> itself.
  if [ -d "$out/$lang" ]; then generated="$out/$lang"; else generated="$out"; fi
  [ -n "$(ls -A "$generated" 2>/dev/null)" ] || { echo "gen-sdks: nothing was generated for $lang" >&2; exit 1; }
  rm -rf "sdk/$lang"
  mkdir -p sdk
  cp -R "$generated" "sdk/$lang"
  echo "gen-sdks: wrote sdk/$lang"
done
