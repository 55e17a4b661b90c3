#!/usr/bin/env bash
# System calls per request (keep-alive) and per connection (a new
# connection per request) for each peer of the bench, over TCP and a unix
# socket: `strace -c -f` around the server while `loadgen` sends a bounded
# number of requests. Run examples/bench/run.sh once first (it builds the
# peers and installs what they need); this script builds nothing.
#
#   examples/bench/syscalls.sh [REQUESTS]     # default 10000 per scenario
#
# Prints a markdown table per peer and scenario: calls of each system call
# divided by the requests sent. Startup and shutdown are counted in (a few
# hundred calls, under 0.05 per request at 10,000 requests). strace slows
# the server many times over: these are counts, not times.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT="$ROOT/target/bench"
REQUESTS=${1:-10000}
BIN="$ROOT/target/release/examples"
command -v strace >/dev/null || { echo "syscalls.sh: needs strace (apt-get install strace)" >&2; exit 1; }
[ -x "$BIN/loadgen" ] && [ -x "$OUT/peers/floor" ] || { echo "syscalls.sh: run examples/bench/run.sh first" >&2; exit 1; }

# The peers' commands and PHP-FPM's config, as run.sh makes them.
# shellcheck source=/dev/null
source <(sed -n '/^php_fpm_binary()/p; /^declare -A COMMAND/,/^)/p; /^PHP_SCRIPT=/p; /^PARAMS=/p;
    /^php_fpm_config()/,/^}/p; /^server_command()/,/^}/p' "$ROOT/examples/bench/run.sh")
# As in run.sh: the server on one CPU (so ours runs one worker thread, as
# in the bench), the load generator on the other.
LOAD_CPU=${LOAD_CPU:-0}
SERVER_CPU=${SERVER_CPU:-1}
declare -A PORT=([ours]=9111 [floor]=9112 [libfcgi]=9113 [php]=9118)
mkdir -p "$OUT/logs" "$OUT/strace"

STRACE_PID=""
cleanup() {
    if [ -n "$STRACE_PID" ]; then
        local server
        server=$(pgrep -P "$STRACE_PID" || true)
        # shellcheck disable=SC2046,SC2086
        [ -n "$server" ] && kill -9 $server $(pgrep -P "$server" 2>/dev/null || true) 2>/dev/null || true
        kill -9 "$STRACE_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT

# count NAME TARGET SCENARIO LOADGEN-ARGS...: one strace'd run.
count() {
    local name=$1 target=$2 scenario=$3
    shift 3
    local file="$OUT/strace/$name-$scenario.txt"
    [[ "$target" == unix:* ]] && rm -f "${target#unix:}"
    # shellcheck disable=SC2046
    FCGI_BIND=$target taskset -c "$SERVER_CPU" strace -c -f -o "$file" $(server_command "$name" "$target") >>"$OUT/logs/strace-$name.log" 2>&1 &
    STRACE_PID=$!
    for _ in $(seq 200); do
        "$BIN/loadgen" --connect "$target" "${PARAMS[@]}" -c 1 -n 1 -q >/dev/null 2>&1 && break
        sleep 0.05
    done
    taskset -c "$LOAD_CPU" "$BIN/loadgen" --connect "$target" "${PARAMS[@]}" -n "$REQUESTS" -d 120s --expect 'Hello, World!' -q "$@" \
        >>"$OUT/logs/strace-loadgen.log" 2>&1 || echo "syscalls.sh: loadgen failed against $name ($scenario)" >&2
    # Once the server (and its pool) is gone, strace prints its summary and exits.
    local server
    server=$(pgrep -P "$STRACE_PID" || true)
    # shellcheck disable=SC2046,SC2086
    [ -n "$server" ] && kill -9 $server $(pgrep -P "$server" 2>/dev/null || true) 2>/dev/null || true
    wait "$STRACE_PID" 2>/dev/null || true
    STRACE_PID=""
    python3 - "$file" "$name" "$scenario" "$REQUESTS" <<'PY'
import re, sys
path, name, scenario, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]) + 1
calls = {}
for line in open(path):
    m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
    if m and m.group(2) != "total":
        calls[m.group(2)] = int(m.group(1))
per = sorted(((c / n, s) for s, c in calls.items() if c / n >= 0.05), reverse=True)
total = sum(c for c in calls.values()) / n
print(f"| {name} | {scenario} | {total:.1f} | " + ", ".join(f"{s} {v:.2f}" for v, s in per) + " |")
PY
}

echo "| server | scenario | calls per request | of which (per request, ≥ 0.05) |"
echo "|---|---|---:|---|"
for name in ours floor libfcgi php; do
    for transport in tcp unix; do
        if [ "$transport" = tcp ]; then
            target="127.0.0.1:${PORT[$name]}"
        else
            target="unix:$OUT/strace/$name.sock"
        fi
        count "$name" "$target" "keepalive-$transport" -c 8
        count "$name" "$target" "newconn-$transport" -c 8 --no-keep-conn
    done
done
