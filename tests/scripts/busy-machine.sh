#!/usr/bin/env bash
# The README's test command with two CPU-bound loops beside it, as on a shared 2-core CI machine: no test may depend
# on being scheduled promptly. Usage: busy-machine.sh [RUNS]   (default 1)
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build BasedEval.sln -v q -nologo >/dev/null
for ((n = 1; n <= ${1:-1}; n++)); do
  timeout 3600 sh -c 'while :; do :; done' & first=$!
  timeout 3600 sh -c 'while :; do :; done' & second=$!
  dotnet test BasedEval.sln --no-build | grep -E "Passed!|Failed!|skipped|\[FAIL\]" || true
  kill "$first" "$second" 2>/dev/null || true
done
