#!/usr/bin/env bash
# Shard scale-out on this machine: one 2,000-item run split over 1, 2 and 4 `basedeval run --shard` processes against
# the loopback TestServer at a fixed 50 ms time to first token, each process with max_concurrency 8, all writing one
# SQLite store. Prints the wall time per N with its ratio to one shard (same session), samples lost and duplicated, and
# what a SIGKILLed shard sends when started again. Usage: shards.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
work=$(mktemp -d)
server_pid=
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
items=2000

dotnet build "$repo/BasedEval.sln" -c Release -v q -nologo >/dev/null
cli=("dotnet" "$repo/src/BasedEval.Cli/bin/Release/net10.0/basedeval.dll")
server_dll="$repo/tests/BasedEval.TestServer/bin/Release/net10.0/BasedEval.TestServer.dll"

mkdir -p "$work/mmlu"
python3 - "$work/mmlu/bench_test.csv" "$items" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(f'"[Q{i:05d}] Which option is number 1?",one,two,three,four,A\n')
PY

# Each N gets its own model name, so no run reads another's answers from the response cache.
models=""
for name in n1 n2 n4 killed; do
  models+="\"$name\":{\"default_reply\":\"**Answer: A**\",\"ttft_ms\":50,\"inter_chunk_delay_ms\":0,\"prompt_tokens\":40},"
done
printf '{"models":{%s}}' "${models%,}" > "$work/script.json"
dotnet "$server_dll" --script "$work/script.json" --port 0 > "$work/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/server.out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$work/server.out" | head -1)

{
  printf 'version: 1\nstore: results.db\nseed: 3\ntargets:\n'
  for name in n1 n2 n4 killed; do
    printf '  %s: { provider: openai, model: %s, base_url: %s/v1, max_concurrency: 8, timeout_s: 30 }\n' "$name" "$name" "$url"
  done
  printf 'suites:\n  mmlu: { format: mmlu, path: mmlu }\n'
} > "$work/evals.yaml"

# count TARGET: stored samples, distinct (suite, item, epoch) keys, and the shard states of the target's run.
count() {
  python3 - "$work/results.db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
run = db.execute("SELECT id FROM runs WHERE target_name = ?", (sys.argv[2],)).fetchone()[0]
rows, keys = db.execute("SELECT COUNT(*), COUNT(DISTINCT suite || '/' || item_id || '/' || epoch) FROM samples WHERE run_id = ? AND error_kind IS NULL", (run,)).fetchone()
print(rows, keys)
PY
}

cd "$work"
printf '| shard processes | wall s | ratio to 1 | stored | lost | duplicated |\n|---|---|---|---|---|---|\n'
base=
for n in 1 2 4; do
  start=$(date +%s.%N)
  pids=()
  for ((i = 0; i < n; i++)); do
    "${cli[@]}" run --config evals.yaml --target "n$n" --shard "$i/$n" > "shard$n-$i.out" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  wall=$(echo "$(date +%s.%N) - $start" | bc -l)
  base=${base:-$wall}
  read -r rows keys < <(count "n$n")
  printf '| %d | %.2f | %.2f | %d | %d | %d |\n' "$n" "$wall" "$(echo "$wall / $base" | bc -l)" "$keys" $((items - keys)) $((rows - keys))
done

# A shard killed mid-run, then started again with the same command: it sends only what it lacks.
"${cli[@]}" run --config evals.yaml --target killed --shard 0/4 > killed-1.out 2>&1 &
pid=$!
sleep 3
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
read -r before _ < <(count killed)
"${cli[@]}" run --config evals.yaml --target killed --shard 0/4 > killed-2.out 2>&1
read -r after keys < <(count killed)
planned=$(python3 -c "import sqlite3,json;db=sqlite3.connect('results.db');print(len(json.loads(db.execute(\"SELECT items FROM run_shards s JOIN runs r ON r.id=s.run_id WHERE r.target_name='killed' AND shard_index=0\").fetchone()[0])))")
echo
echo "SIGKILLed shard 0/4 ($planned samples): $before stored before the kill; the restart stored $((after - before)) more, $after in all, duplicated $((after - keys))"
grep "^run " killed-2.out
