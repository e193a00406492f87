#!/usr/bin/env bash
# Reproduces the workload figures of tests/BasedEval.Benchmarks/README.md: each runner figure next to its reference,
# measured against the same TestServer in the same run. Usage: workload-figures.sh [throughput|ttft|memory|azure|all]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
work=$(mktemp -d)
server_pid=
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
which=${1:-all}
seconds=${SECONDS_PER_RUN:-10}

dotnet build "$repo/BasedEval.sln" -c Release -v q -nologo >/dev/null
cli=("dotnet" "$repo/src/BasedEval.Cli/bin/Release/net10.0/basedeval.dll")
server_dll="$repo/tests/BasedEval.TestServer/bin/Release/net10.0/BasedEval.TestServer.dll"

# stop_server: ends the server, which then prints how late it wrote first content chunks against their scripted time.
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  server_pid=
  grep "^first content" "$work/server.out" | sed 's/^/server: /' || true
}

# start_server TTFT_MS: a one-model server answering every request with a three-token stream.
start_server() {
  stop_server >/dev/null
  printf '{"models":{"bench":{"default_reply":"Revenue rose steadily.","ttft_ms":%s,"inter_chunk_delay_ms":0,"prompt_tokens":40}}}' "$1" > "$work/script.json"
  # The background start truncates the file only once it runs: the previous server's address must not be read meanwhile.
  rm -f "$work/server.out"
  dotnet "$server_dll" --script "$work/script.json" --port 0 > "$work/server.out" 2>&1 &
  server_pid=$!
  # A server that fails to start must end the script with its error, not leave it polling in silence.
  local waited=0
  until grep -q listening "$work/server.out" 2>/dev/null; do
    if ! kill -0 "$server_pid" 2>/dev/null || (( waited++ > 300 )); then
      echo "the TestServer did not start:" >&2; cat "$work/server.out" >&2; exit 1
    fi
    sleep 0.1
  done
  url=$(sed -n "s/^listening on //p" "$work/server.out" | head -1); url=${url%/}/
}

# chat_log LINES: a chat-completions log, 1 ms apart, written once and kept in the temp dir.
chat_log() {
  local path="$work/log-$1.jsonl"
  [ -f "$path" ] || awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) { s = int(i / 1000); ms = i % 1000;
    printf "{\"timestamp\":\"2024-05-01T12:%02d:%02d.%03dZ\",\"request\":{\"model\":\"prod\",\"messages\":[{\"role\":\"user\",\"content\":\"Request %d: summarise the quarterly figures for the northern region in three sentences.\"}],\"max_tokens\":256},\"response\":{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"Revenue rose steadily.\"}}],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":3}}}\n",
      int(s / 60) % 60, s % 60, ms, i } }' > "$path"
  echo "$path"
}

# config WORKLOAD_YAML MAX_CONCURRENCY: evals.yaml for the server's `bench` model and one workload `w`.
config() {
  cat > "$work/evals.yaml" <<YAML
version: 1
store: $work/results.db
reports_dir: $work/reports
targets:
  bench: { provider: openai, model: bench, base_url: ${url}v1, max_concurrency: $2, max_retries: 0, timeout_s: 60 }
workloads:
  w: { $1 }
YAML
}

replay() { /usr/bin/time -f 'peak working set %M KB' "${cli[@]}" replay --config "$work/evals.yaml" --target bench --workload w "$@"; }

# replay_watched ARGS: a replay that prints nothing until it ends, with a line every 10 s (elapsed time, the replay's
# resident memory and the load average) so a run of minutes shows that it is alive and how its memory evolves.
replay_watched() {
  replay "$@" &
  local pid=$! started=$SECONDS child next rss
  while kill -0 "$pid" 2>/dev/null; do
    sleep 10
    # The replay is the deepest descendant: this function's subshell runs /usr/bin/time, which runs dotnet.
    child=$pid
    while next=$(pgrep -P "$child" | head -1) && [ -n "$next" ]; do child=$next; done
    rss=$(ps -o rss= -p "$child" 2>/dev/null) || true
    [ -n "$rss" ] && echo "  ... $((SECONDS - started)) s: replay resident $((rss / 1024)) MB, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  done
  wait "$pid"
}

if [[ $which == all || $which == throughput ]]; then
  echo "== throughput: runner, closed load at concurrency 256, vs wrk, 256 connections, same server, zero TTFT"
  start_server 0
  config "format: chat_log, path: $(chat_log 1000000)" 256
  wrk -t2 -c256 -d"${seconds}s" -s "$repo/tests/BasedEval.Benchmarks/scripts/post.lua" "${url}v1/chat/completions" | grep -E 'Requests/sec|Non-2xx|errors'
  replay --concurrency 256 --duration "$seconds"
fi

if [[ $which == all || $which == ttft ]]; then
  echo "== ttft: runner at concurrency 256 against a scripted ${TTFT_MS:=100} ms TTFT"
  start_server "$TTFT_MS"
  config "format: chat_log, path: $(chat_log 1000000)" 256
  # A loopback capture gives the same run's TTFT as the wire saw it: runner minus wire is the runner's own error.
  port=${url%/}; port=${port##*:}; capture_pid=
  if command -v tcpdump >/dev/null; then
    tcpdump -i lo -s 512 --time-stamp-precision=nano -w "$work/ttft.pcap" "tcp port $port" 2>/dev/null &
    capture_pid=$!
    sleep 1
  fi
  replay --concurrency 256 --duration "$seconds" --warmup 3
  stop_server
  if [ -n "$capture_pid" ]; then
    kill -INT "$capture_pid"; wait "$capture_pid" || true
    python3 "$repo/tests/BasedEval.Benchmarks/scripts/wire-ttft.py" "$work/ttft.pcap" "$port" 3 "$TTFT_MS"
  else
    echo "tcpdump is not installed: no wire figure (apt-get install tcpdump)"
  fi
fi

if [[ $which == all || $which == memory ]]; then
  echo "== memory: whole 1,000,000-line log replayed at 1000x recorded speed (1,000,000 requests/s planned)"
  start_server 0
  config "format: chat_log, path: $(chat_log 1000000), time_scale: 1000" 512
  replay_watched
fi

if [[ $which == all || $which == azure ]]; then
  echo "== azure: conversation trace, time-scaled, ShareGPT prompts"
  start_server 0
  data=${WORKLOAD_DATA:-/work/shared/data/workload}
  config "format: azure_trace, path: $data/AzureLLMInferenceTrace_conv.csv, prompts: $data/ShareGPT_V3_filtered_1000.json, time_scale: ${AZURE_TIME_SCALE:-10}" 256
  replay --duration "${AZURE_SECONDS:-30}"
fi
