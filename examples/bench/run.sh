#!/usr/bin/env bash
# The benchmark of issues 6 and 18: our `plaintext` example against a floor
# server (the least work a FastCGI server can do), libfcgi, PHP-FPM and Go's
# net/http/fcgi, in one run, on this machine, over TCP and over unix
# sockets. Results land in target/bench/.
#
#   examples/bench/run.sh            # full run: 3 runs per figure, about 15 minutes
#   examples/bench/run.sh --quick    # 1 short run per figure, about 3 minutes
#
# Options: --runs N, --duration SECONDS,
# --only "keepalive keepalive8 newconn mpx nginx keepalive-unix newconn-unix
# nginx-unix memory" (a subset),
# --no-install (do not apt-get missing tools), --wait-quiet (on a shared
# machine: first wait, up to 5 minutes, until no CPU is busier than 10%
# with nothing of ours running, and before each measurement up to a minute
# while one is busier than 15%; each result records the load it saw).
#
# The load generator runs on CPU 0 and the server under test on CPU 1
# (taskset), so they never compete for a core; behind nginx, nginx and the
# app share CPU 1 and wrk has CPU 0. See BENCHMARKS.md for what each
# figure means.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT="$ROOT/target/bench"
HERE="$ROOT/examples/bench"
PEERS_SRC="$ROOT/examples/bench/peers"
# The load generator's CPU and the server's (override to dodge a busy CPU).
LOAD_CPU=${LOAD_CPU:-0}
SERVER_CPU=${SERVER_CPU:-1}

RUNS=3
DURATION=5
WARMUP=1
SLOW_SECONDS=20
IDLE_CONNECTIONS=10000
ONLY="keepalive keepalive8 newconn mpx nginx keepalive-unix newconn-unix nginx-unix memory"
INSTALL=1
WAIT_QUIET=0

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) RUNS=1; DURATION=2; WARMUP=0.5; SLOW_SECONDS=5 ;;
        --runs) RUNS=$2; shift ;;
        --duration) DURATION=$2; shift ;;
        --only) ONLY=$2; shift ;;
        --no-install) INSTALL=0 ;;
        --wait-quiet) WAIT_QUIET=1 ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

wants() { [[ " $ONLY " == *" $1 "* ]]; }
log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

# ----- tools ------------------------------------------------------------

ensure_tools() {
    local missing=()
    command -v cc >/dev/null || missing+=(gcc libc6-dev)
    command -v go >/dev/null || missing+=(golang-go)
    [ -e /usr/include/fcgiapp.h ] || missing+=(libfcgi-dev)
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
    command -v wrk >/dev/null || missing+=(wrk)
    command -v python3 >/dev/null || missing+=(python3)
    command -v taskset >/dev/null || missing+=(util-linux)
    command -v pgrep >/dev/null || missing+=(procps)
    php_fpm_binary >/dev/null || missing+=(php-fpm)
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$INSTALL" = 1 ]; then
            log "installing ${missing[*]}"
            local sudo=""
            [ "$(id -u)" = 0 ] || sudo=sudo
            $sudo apt-get update -qq
            DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        else
            echo "run.sh: missing ${missing[*]} (apt-get install them, or drop --no-install)" >&2
            exit 1
        fi
    fi
    command -v cargo >/dev/null || { echo "run.sh: cargo not found (install Rust with rustup)" >&2; exit 1; }
    if [ "$(nproc)" -lt 2 ]; then
        echo "run.sh: needs 2 CPUs (load generator on one, server on the other)" >&2
        exit 1
    fi
}

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
# Debian names the binary after the PHP version (php-fpm8.2).
php_fpm_binary() { compgen -G '/usr/sbin/php-fpm*' | sort -V | tail -n 1 | grep .; }

build() {
    log "building (release)"
    (cd "$ROOT" && cargo build --release --quiet \
        --example plaintext --example loadgen --example echo --example bench)
    mkdir -p "$OUT/peers"
    cc -O2 -Wall -o "$OUT/peers/floor" "$PEERS_SRC/floor.c"
    cc -O2 -Wall -o "$OUT/peers/hello_libfcgi" "$PEERS_SRC/hello_libfcgi.c" -lfcgi -lpthread
    (cd "$PEERS_SRC" && GOCACHE="$OUT/go-cache" GOPATH="$OUT/gopath" GOFLAGS= \
        go build -o "$OUT/peers/hello-go" hello.go)
}

BIN="$ROOT/target/release/examples"
LOADGEN="$BIN/loadgen"
declare -A COMMAND=(
    [ours]="$BIN/plaintext"
    [floor]="$OUT/peers/floor"
    [libfcgi]="$OUT/peers/hello_libfcgi"
    [go]="$OUT/peers/hello-go"
)
declare -A PORT=([ours]=9101 [floor]=9102 [libfcgi]=9103 [go]=9104 [php]=9108)
# PHP-FPM needs the script's path; every peer gets the same param, so every
# peer reads the same request bytes.
PHP_SCRIPT="$OUT/php/hello.php"
PARAMS=(--param "SCRIPT_FILENAME=$PHP_SCRIPT")

# php_fpm_config BIND: PHP-FPM as its own process, with a static pool of 8
# children (libfcgi's 8 threads), the distribution's php.ini (opcache on as
# Debian ships it) and a script answering the bytes `plaintext` answers.
php_fpm_config() {
    local bind=$1 dir="$OUT/php" listen user=""
    mkdir -p "$dir"
    printf '%s\n' '<?php' \
        "header('Content-Type: text/plain; charset=utf-8');" \
        "header('Content-Length: 13');" \
        "echo 'Hello, World!';" >"$PHP_SCRIPT"
    case "$bind" in
        unix:*) listen=${bind#unix:} ;;
        *) listen=$bind ;;
    esac
    # As root, PHP-FPM wants to be told (-R) and a pool user.
    [ "$(id -u)" = 0 ] && user="user = root"
    printf '%s\n' "[global]" "pid = $dir/php-fpm.pid" "error_log = $OUT/logs/php-fpm.log" "daemonize = no" "" \
        "[hello]" "$user" "listen = $listen" "listen.backlog = 4096" "listen.mode = 0600" \
        "pm = static" "pm.max_children = 8" "pm.max_requests = 0" >"$dir/php-fpm.conf"
}

# server_command NAME BIND: the command line that starts that peer there.
server_command() {
    local name=$1 bind=$2
    if [ "$name" = php ]; then
        php_fpm_config "$bind"
        local fpm root="" version
        fpm=$(php_fpm_binary)
        version=${fpm##*php-fpm}
        [ "$(id -u)" = 0 ] && root=-R
        echo "$fpm -F $root -y $OUT/php/php-fpm.conf -c /etc/php/$version/fpm/php.ini"
    else
        echo "${COMMAND[$name]}"
    fi
}

# ----- processes --------------------------------------------------------

PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do stop "$pid"; done
}
trap cleanup EXIT

wait_tcp() {
    for _ in $(seq 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "run.sh: nothing listens on port $1" >&2
    return 1
}

wait_unix() {
    for _ in $(seq 200); do [ -S "$1" ] && return 0; sleep 0.05; done
    echo "run.sh: no socket at $1" >&2
    return 1
}

# start NAME BIND COMMAND...: starts a server on the server CPU; sets SERVER_PID.
start() {
    local name=$1 bind=$2
    shift 2
    # Something already listening there would answer in the server's place.
    if [[ "$bind" != unix:* ]] && (exec 3<>"/dev/tcp/127.0.0.1/${bind##*:}") 2>/dev/null; then
        echo "run.sh: port ${bind##*:} is already in use (a server left from another run?); stop it first:" >&2
        ss -ltnp "sport = :${bind##*:}" >&2 || true
        exit 1
    fi
    FCGI_BIND=$bind taskset -c "$SERVER_CPU" "$@" >>"$OUT/logs/$name.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    case "$bind" in
        unix:*) wait_unix "${bind#unix:}" ;;
        *) wait_tcp "${bind##*:}" ;;
    esac
}

# stop PID: kills a server and the children it started (PHP-FPM's pool).
stop() {
    local children
    children=$(pgrep -P "$1" || true)
    # shellcheck disable=SC2086
    kill -9 "$1" $children 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# cpu_ticks PID: user+system time of a server and its children (PHP-FPM's
# pool; threads are counted in their process).
cpu_ticks() {
    local total=0 pid
    for pid in "$1" $(pgrep -P "$1" || true); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
core_stat() { grep "^cpu$SERVER_CPU " /proc/stat; }

# background_load [SECONDS]: how busy each CPU is while nothing of ours
# runs (other tenants of the machine), over 2 seconds by default, e.g.
# "cpu0 3% cpu1 41%".
background_load() {
    local a b
    a=$(grep -E '^cpu[0-9]+ ' /proc/stat)
    sleep "${1:-2}"
    b=$(grep -E '^cpu[0-9]+ ' /proc/stat)
    python3 -c '
import sys
def parse(text):
    return {l.split()[0]: list(map(int, l.split()[1:])) for l in text.strip().splitlines()}
a, b = parse(sys.argv[1]), parse(sys.argv[2])
out = []
for cpu in a:
    total = sum(b[cpu]) - sum(a[cpu]); idle = (b[cpu][3] + b[cpu][4]) - (a[cpu][3] + a[cpu][4])
    out.append(f"{cpu} {round(100 * (total - idle) / max(total, 1))}%")
print(" ".join(out))' "$a" "$b"
}

# record JSON KEY=VALUE...: adds fields to a JSON object and appends it to the results.
record() {
    local json=$1
    shift
    python3 -c '
import json, sys
row = json.loads(sys.argv[1])
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    try:
        v = json.loads(v)
    except ValueError:
        pass
    row[k] = v
print(json.dumps(row))' "$json" "$@" >>"$OUT/results.jsonl"
}

# busy_between STAT0 STAT1: percentage of the server CPU that was busy.
busy_between() {
    python3 -c '
import sys
a = list(map(int, sys.argv[1].split()[1:])); b = list(map(int, sys.argv[2].split()[1:]))
total = sum(b) - sum(a); idle = (b[3] + b[4]) - (a[3] + a[4])
print(round(100 * (total - idle) / max(total, 1)))' "$1" "$2"
}

# busiest CPU% in a background_load line.
busiest() { python3 -c 'import re, sys; print(max(map(int, re.findall(r"(\d+)%", sys.argv[1]))))' "$1"; }

# quiet_gate: with --wait-quiet, before each measurement, waits (up to a
# minute) while another tenant keeps a CPU more than 15% busy. Sets
# BACKGROUND to what it last saw.
quiet_gate() {
    BACKGROUND=$(background_load 0.5)
    [ "$WAIT_QUIET" = 1 ] || return 0
    local waited=0
    while [ "$(busiest "$BACKGROUND")" -gt 15 ] && [ $waited -lt 60 ]; do
        echo "   ($BACKGROUND busy with other work: waiting)" >&2
        sleep 4
        waited=$((waited + 5))
        BACKGROUND=$(background_load 0.5)
    done
}

# measure SCENARIO SERVER RUN LOADGEN-ARGS...: one loadgen run against the
# server already started (SERVER_PID), with its CPU time per request.
measure() {
    local scenario=$1 server=$2 run=$3
    shift 3
    local result="$OUT/last.json"
    quiet_gate
    taskset -c "$LOAD_CPU" "$LOADGEN" --connect "$TARGET" "${PARAMS[@]}" \
        -d "${DURATION}s" --warmup "${WARMUP}s" --expect 'Hello, World!' --json -q "$@" \
        >"$result" 2>>"$OUT/logs/loadgen.log" &
    local load=$!
    sleep "$WARMUP"
    local t0 s0 t1 s1
    t0=$(cpu_ticks "$SERVER_PID"); s0=$(core_stat)
    wait "$load" || true
    t1=$(cpu_ticks "$SERVER_PID"); s1=$(core_stat)
    local json
    json=$(tail -n 1 "$result")
    if [[ "$json" != "{"* ]]; then
        echo "run.sh: loadgen failed against $server ($scenario): $(cat "$result")" >&2
        return 0
    fi
    local rps cpu_us
    rps=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["rps"])' "$json")
    cpu_us=$(python3 -c 'import sys; t, hz, rps, d = map(float, sys.argv[1:]); print(round(t * 1e6 / hz / max(rps * d, 1), 2))' \
        "$((t1 - t0))" "$(getconf CLK_TCK)" "$rps" "$DURATION")
    record "$json" scenario="$scenario" server="$server" run="$run" \
        cpu_us_per_req="$cpu_us" server_core_busy="$(busy_between "$s0" "$s1")" background="\"$BACKGROUND\""
    printf '   %-14s %-8s run %s: %8.0f req/s  p99 %s us  server %s us/req\n' "$scenario" "$server" "$run" "$rps" \
        "$(python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["p99_us"]))' "$json")" "$cpu_us" >&2
}

# ----- nginx ------------------------------------------------------------

NGINX_PORT=8181
# nginx_conf UPSTREAM: UPSTREAM is HOST:PORT or unix:/path, as nginx writes it.
nginx_conf() {
    local upstream=$1 dir="$OUT/nginx"
    mkdir -p "$dir/tmp"
    cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process off;
error_log $dir/error.log warn;
pid $dir/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    fastcgi_temp_path $dir/tmp/fastcgi;
    proxy_temp_path $dir/tmp/proxy;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    upstream app {
        server $upstream;
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $PHP_SCRIPT;
            fastcgi_keep_conn on;
            fastcgi_pass app;
        }
    }
}
EOF
}

# measure_nginx SCENARIO SERVER RUN: wrk against nginx in front of the
# server already started at TARGET.
measure_nginx() {
    local scenario=$1 server=$2 run=$3
    nginx_conf "$TARGET"
    taskset -c "$SERVER_CPU" "$NGINX" -p "$OUT/nginx" -c "$OUT/nginx/nginx.conf" >>"$OUT/logs/nginx.log" 2>&1 &
    local nginx_pid=$!
    PIDS+=("$nginx_pid")
    wait_tcp "$NGINX_PORT"
    local body
    body=$(python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$NGINX_PORT/').read().decode())")
    if [ "$body" != "Hello, World!" ]; then
        echo "run.sh: $server behind nginx answered ${body@Q}" >&2
    fi
    taskset -c "$LOAD_CPU" wrk -t1 -c32 -d"${WARMUP}s" "http://127.0.0.1:$NGINX_PORT/" >/dev/null 2>&1 || true
    quiet_gate
    local t0 s0 t1 s1 out
    t0=$(cpu_ticks "$SERVER_PID"); s0=$(core_stat)
    out=$(taskset -c "$LOAD_CPU" wrk -t1 -c32 -d"${DURATION}s" --latency "http://127.0.0.1:$NGINX_PORT/")
    t1=$(cpu_ticks "$SERVER_PID"); s1=$(core_stat)
    stop "$nginx_pid"
    echo "$out" >>"$OUT/logs/wrk.log"
    local json
    json=$(python3 -c '
import json, re, sys
out, ticks, hz, duration = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
def us(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 1, "ms": 1e3, "s": 1e6}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
pct = dict(re.findall(r"^\s+(\d+)%\s+(\S+)", out, re.M))
errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
errors += int(non2xx.group(1)) if non2xx else 0
print(json.dumps({"rps": rps, "p50_us": us(pct["50"]), "p90_us": us(pct["90"]), "p99_us": us(pct["99"]),
                  "errors": errors, "cpu_us_per_req": round(ticks * 1e6 / hz / max(rps * duration, 1), 2)}))
' "$out" "$((t1 - t0))" "$(getconf CLK_TCK)" "$DURATION")
    record "$json" scenario="$scenario" server="$server" run="$run" server_core_busy="$(busy_between "$s0" "$s1")" \
        background="\"$BACKGROUND\""
    printf '   %-14s %-8s run %s: %s\n' "$scenario" "$server" "$run" "$json" >&2
}

# ----- the run ----------------------------------------------------------

machine_json() {
    python3 -c '
import json, sys
print(json.dumps(dict(zip(["cpu", "cores", "memory", "kernel", "virt", "load_before", "runs", "duration", "warmup",
                           "background_before", "load_cpu", "server_cpu"], sys.argv[1:]))))' \
        "$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | xargs)" "$(nproc)" \
        "$(free -g | awk '/Mem:/ {print $2 " GiB"}')" "$(uname -r)" \
        "$(systemd-detect-virt 2>/dev/null || echo unknown)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
        "$RUNS" "${DURATION} s" "${WARMUP} s" "$BACKGROUND_BEFORE" "$LOAD_CPU" "$SERVER_CPU"
}

main() {
    ensure_tools
    build
    rm -rf "$OUT/logs" "$OUT/results.jsonl"
    mkdir -p "$OUT/logs"
    log "background load (other tenants), 2 s with nothing of ours running"
    BACKGROUND_BEFORE=$(background_load)
    if [ "$WAIT_QUIET" = 1 ]; then
        local waited=0
        while [ "$(busiest "$BACKGROUND_BEFORE")" -gt 10 ] && [ $waited -lt 300 ]; do
            echo "   $BACKGROUND_BEFORE: waiting for a quieter machine" >&2
            sleep 8
            waited=$((waited + 10))
            BACKGROUND_BEFORE=$(background_load)
        done
    fi
    echo "   $BACKGROUND_BEFORE" >&2
    machine_json >"$OUT/machine.json"
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

    for run in $(seq "$RUNS"); do
        # Interleaved, so that every server sees the same machine over time.
        if wants keepalive || wants keepalive8 || wants newconn || wants mpx || wants nginx; then
            for server in ours floor libfcgi php go; do
                TARGET="127.0.0.1:${PORT[$server]}"
                # shellcheck disable=SC2046
                start "$server" "$TARGET" $(server_command "$server" "$TARGET")
                if wants keepalive; then measure keepalive "$server" "$run" -c 32 -m 1; fi
                if wants keepalive8; then measure keepalive8 "$server" "$run" -c 8 -m 1; fi
                if wants newconn; then measure newconn "$server" "$run" -c 32 --no-keep-conn; fi
                # libfcgi answers one request at a time per connection and
                # refuses a second one in flight.
                if wants mpx && [ "$server" != libfcgi ]; then
                    measure mpx "$server" "$run" -c 4 -m 16
                fi
                if wants nginx; then measure_nginx nginx "$server" "$run"; fi
                stop "$SERVER_PID"
            done
        fi
        # nginx -> app over a unix socket is the common deployment (PHP-FPM's default).
        if wants keepalive-unix || wants newconn-unix || wants nginx-unix; then
            for server in ours floor libfcgi php; do
                rm -f "$OUT/$server.sock"
                TARGET="unix:$OUT/$server.sock"
                # shellcheck disable=SC2046
                start "$server" "$TARGET" $(server_command "$server" "$TARGET")
                if wants keepalive-unix; then measure keepalive-unix "$server" "$run" -c 32 -m 1; fi
                if wants newconn-unix; then measure newconn-unix "$server" "$run" -c 32 --no-keep-conn; fi
                if wants nginx-unix; then measure_nginx nginx-unix "$server" "$run"; fi
                stop "$SERVER_PID"
            done
        fi
    done

    if wants memory; then
        log "memory: $IDLE_CONNECTIONS idle keep-alive connections"
        if [ "$(ulimit -n)" -lt $((IDLE_CONNECTIONS + 100)) ]; then
            IDLE_CONNECTIONS=$(($(ulimit -n) - 100))
            echo "run.sh: ulimit -n is $(ulimit -n): holding only $IDLE_CONNECTIONS connections" >&2
        fi
        start ours-idle 127.0.0.1:9105 "$BIN/plaintext"
        taskset -c "$LOAD_CPU" "$BIN/bench" idle --connect 127.0.0.1:9105 --pid "$SERVER_PID" \
            -n "$IDLE_CONNECTIONS" --requests-each 3 --hold 3 | tail -n 1 >>"$OUT/results.jsonl"
        stop "$SERVER_PID"
        tail -n 1 "$OUT/results.jsonl" >&2

        for phase in params body; do
            log "memory: $IDLE_CONNECTIONS connections that stop inside a request's $phase"
            start ours-slow 127.0.0.1:9107 "$BIN/plaintext"
            taskset -c "$LOAD_CPU" "$BIN/bench" slow-requests --connect 127.0.0.1:9107 --pid "$SERVER_PID" \
                -n "$IDLE_CONNECTIONS" --phase "$phase" --hold 3 | tail -n 1 >>"$OUT/results.jsonl"
            stop "$SERVER_PID"
            tail -n 1 "$OUT/results.jsonl" >&2
        done

        log "memory: a 1 GiB response read at 1 MiB/s for ${SLOW_SECONDS} s"
        start big-response 127.0.0.1:9106 "$BIN/bench" big-response
        taskset -c "$LOAD_CPU" "$BIN/bench" slow-client --connect 127.0.0.1:9106 --pid "$SERVER_PID" \
            --seconds "$SLOW_SECONDS" 2>>"$OUT/logs/slow-client.log" | tail -n 1 >>"$OUT/results.jsonl"
        stop "$SERVER_PID"
        tail -n 1 "$OUT/results.jsonl" >&2

        log "throughput: echo mode=body over a unix socket"
        rm -f "$OUT/echo.sock"
        start echo "unix:$OUT/echo.sock" "$BIN/echo"
        for run in $(seq "$RUNS"); do
            json=$(taskset -c "$LOAD_CPU" "$LOADGEN" --connect "unix:$OUT/echo.sock" -c 2 "${PARAMS[@]}" \
                -d "${DURATION}s" --warmup "${WARMUP}s" --uri '/?mode=body' --body 1048576 --expect-echo --json -q | tail -n 1)
            record "$json" check=echo_body run="$run"
            tail -n 1 "$OUT/results.jsonl" >&2
        done
        stop "$SERVER_PID"
    fi

    log "background load after the run"
    local background_after
    background_after=$(background_load)
    echo "   $background_after" >&2
    python3 -c '
import json, sys
m = json.load(open(sys.argv[1])); m["load_after"] = sys.argv[2]; m["background_after"] = sys.argv[3]
json.dump(m, open(sys.argv[1], "w"))' "$OUT/machine.json" "$(cut -d' ' -f1-3 /proc/loadavg)" "$background_after"
    python3 "$HERE/summarize.py" "$OUT/results.jsonl" "$OUT/machine.json" >"$OUT/results.md"
    log "results (also in target/bench/results.md; raw runs in target/bench/results.jsonl)"
    cat "$OUT/results.md"
}

main
