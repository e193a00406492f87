#!/usr/bin/env bash
# Time from `dotnet tool install` to the first verdict of the installed tool, offline from a folder feed: cold (a fresh
# tool folder, NuGet cache and empty folder, so init writes the job and compare builds both model files) and with the
# model files already present (fresh tool folder and cache, the models kept, the store and reports removed). The
# reference, measured in the same session, is the same compare run by the repository's own Release build with the model
# files present. Prints the package size, each time and its ratio to the reference. Usage: tool-install.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet pack "$repo/src/BasedEval.Cli" -c Release -o "$work/feed" -v q -nologo >/dev/null
package=$(ls "$work"/feed/basedeval.*.nupkg)
version=$(basename "$package" .nupkg); version=${version#basedeval.}
printf '<configuration><packageSources><clear /><add key="feed" value="%s" /></packageSources></configuration>\n' "$work/feed" > "$work/nuget.config"

# Seconds from a fresh install to the verdict, in folder $1 (init runs there unless it already holds evals.yaml).
install_to_verdict() {
  local folder=$1 tools nuget start code
  tools=$(mktemp -d -p "$work") nuget=$(mktemp -d -p "$work")
  start=$(date +%s.%N)
  NUGET_PACKAGES=$nuget dotnet tool install basedeval --tool-path "$tools" --configfile "$work/nuget.config" --add-source "$work/feed" --version "$version" >/dev/null
  [ -f "$folder/evals.yaml" ] || (cd "$folder" && "$tools/basedeval" init >/dev/null)
  code=0; (cd "$folder" && "$tools/basedeval" compare >/dev/null 2>&1) || code=$?
  echo "$(echo "$(date +%s.%N) - $start" | bc) $code"
}

mkdir -p "$work/cold"
read -r cold cold_code < <(install_to_verdict "$work/cold")
rm -rf "$work/cold/.basedeval/results.db"* "$work/cold/reports"
read -r warm warm_code < <(install_to_verdict "$work/cold")

rm -rf "$work/cold/.basedeval/results.db"* "$work/cold/reports"
start=$(date +%s.%N)
code=0; (cd "$work/cold" && dotnet "$repo/src/BasedEval.Cli/bin/Release/net10.0/basedeval.dll" compare >/dev/null 2>&1) || code=$?
reference=$(echo "$(date +%s.%N) - $start" | bc)

printf 'package %s: %.1f MB (%d bytes)\n' "$(basename "$package")" "$(echo "$(stat -c %s "$package") / 1000000" | bc -l)" "$(stat -c %s "$package")"
printf '%-44s %8s %8s %s\n' "from dotnet tool install to the verdict" "s" "ratio" "exit"
printf '%-44s %8.1f %8.2f %s\n' "cold (init, both model files built)" "$cold" "$(echo "$cold / $reference" | bc -l)" "$cold_code"
printf '%-44s %8.1f %8.2f %s\n' "model files present" "$warm" "$(echo "$warm / $reference" | bc -l)" "$warm_code"
printf '%-44s %8.1f %8.2f %s\n' "reference: repository build's compare alone" "$reference" 1 "$code"
