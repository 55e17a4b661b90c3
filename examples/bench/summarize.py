#!/usr/bin/env python3
"""Turns the JSON lines run.sh collected into the BENCHMARKS.md table.

usage: summarize.py RESULTS.jsonl MACHINE.json > results.md

Every throughput figure is the median over the runs of one scenario and
server; ratios divide our median by the peer's median from the same run of
the script. Targets are the ones of issue 6.
"""

import json
import re
import statistics
import sys
from collections import defaultdict

SERVERS = ["ours", "floor", "libfcgi", "php", "go"]
NAMES = {
    "ours": "ours (`plaintext`)",
    "floor": "floor (`floor.c`)",
    "libfcgi": "libfcgi, 8 threads",
    "php": "PHP-FPM, 8 static children",
    "go": "Go `net/http/fcgi`",
}
SCENARIOS = [
    ("keepalive", "keep-alive, 32 conns x 1 in flight"),
    ("keepalive8", "keep-alive, 8 conns x 1 in flight"),
    ("newconn", "new connection per request, 32 at a time"),
    ("mpx", "multiplexed, 4 conns x 16 in flight"),
    ("nginx", "behind nginx (1 worker, keepalive upstream), wrk -c 32"),
    ("keepalive-unix", "unix socket: keep-alive, 32 conns x 1 in flight"),
    ("newconn-unix", "unix socket: new connection per request, 32 at a time"),
    ("nginx-unix", "unix socket: behind nginx (1 worker, keepalive upstream), wrk -c 32"),
]
# (scenario, peer, minimum ratio ours/peer)
TARGETS = [
    ("keepalive", "floor", 0.8),
    ("keepalive", "libfcgi", 1.3),
    ("keepalive", "go", 5.0),
    ("newconn", "floor", 0.85),
    ("newconn", "libfcgi", 1.1),
    ("mpx", "floor", 0.3),
    ("nginx", "floor", 0.95),
]
# (scenario, peer): ours must spend no more server CPU per request (issue 18:
# a new connection no dearer than libfcgi's).
CPU_TARGETS = [
    ("newconn", "libfcgi"),
    ("newconn-unix", "libfcgi"),
]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=0):
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    machine = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else {}
    by = defaultdict(list)
    checks = defaultdict(list)
    for row in rows:
        if "scenario" in row:
            by[(row["scenario"], row["server"])].append(row)
        elif "check" in row:
            checks[row["check"]].append(row)

    def med(scenario, server, key):
        return median([r.get(key) for r in by.get((scenario, server), [])])

    def served(runs):
        """Connections answered in the measured window, the fewest over the runs."""
        counts = [r["served_connections"] for r in runs if r.get("served_connections") is not None]
        if not counts or not runs[0].get("connections"):
            return "-"
        return f"{min(counts)} of {runs[0]['connections']}"

    out = []
    loaded = [
        r for r in rows
        if "scenario" in r and max(map(int, re.findall(r"(\d+)%", r.get("background", "")) or [0])) > 15
    ]
    if machine:
        out.append(
            f"Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
            f"{machine.get('memory', '?')}, Linux {machine.get('kernel', '?')}, "
            f"{machine.get('virt', '')}. Load average before/after: "
            f"{machine.get('load_before', '?')} / {machine.get('load_after', '?')}; "
            f"CPU busy with nothing of ours running (other tenants) before/after: "
            f"{machine.get('background_before', '?')} / {machine.get('background_after', '?')}. "
            f"Load generator on cpu{machine.get('load_cpu', '?')}, server on cpu{machine.get('server_cpu', '?')}. "
            f"Runs per figure: {machine.get('runs', '?')}, {machine.get('duration', '?')} each "
            f"after {machine.get('warmup', '?')} of warm-up."
        )
        measured = sum(1 for r in rows if "scenario" in r)
        out.append("")
        out.append(
            f"Runs measured while another tenant kept a CPU over 15% busy: {len(loaded)} of {measured}."
        )
        out.append("")
    out.append(
        "| scenario | server | requests/s | vs ours | p50 µs | p99 µs | max µs | server CPU µs/req | conns served | errors |"
    )
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for scenario, title in SCENARIOS:
        ours = med(scenario, "ours", "rps")
        for server in SERVERS:
            runs = by.get((scenario, server))
            if not runs:
                continue
            rps = med(scenario, server, "rps")
            ratio = ours / rps if ours and rps and server != "ours" else None
            errors = sum(r.get("errors", 0) for r in runs)
            spread = ""
            if len(runs) > 1:
                values = sorted(r["rps"] for r in runs)
                spread = f" ({fmt(values[0])}–{fmt(values[-1])})"
            out.append(
                f"| {title} | {NAMES[server]} | {fmt(rps)}{spread} | "
                f"{'%.2fx' % ratio if ratio else ''} | {fmt(med(scenario, server, 'p50_us'))} | "
                f"{fmt(med(scenario, server, 'p99_us'))} | {fmt(max(r.get('max_us') or 0 for r in runs) or None)} | "
                f"{fmt(med(scenario, server, 'cpu_us_per_req'), 1)} | {served(runs)} | {errors} |"
            )
    out.append("")
    out.append(
        "`vs ours` is ours ÷ that server (above 1: we are faster). Ranges are min–max over the runs; "
        "p50/p99 are medians over the runs, max is the largest of all. Server CPU is the server "
        "process's user+system time per request (what it costs, whatever bounds the throughput). "
        "Conns served: connections answered at least once in the measured window (the fewest over "
        "the runs); a connection left waiting adds next to nothing to the percentiles."
    )
    out.append("")
    out.append("| target | measured | met |")
    out.append("|---|---:|:---:|")
    for scenario, peer, minimum in TARGETS:
        ours = med(scenario, "ours", "rps")
        theirs = med(scenario, peer, "rps")
        if not ours or not theirs:
            continue
        ratio = ours / theirs
        # Each round runs every server back to back, so a round's ratio
        # compares them under the same background; listed to show the spread.
        ours_by_run = {r.get("run"): r["rps"] for r in by.get((scenario, "ours"), [])}
        rounds = [
            ours_by_run[r.get("run")] / r["rps"]
            for r in by.get((scenario, peer), [])
            if r.get("run") in ours_by_run and r["rps"]
        ]
        by_round = ""
        if len(rounds) > 1:
            by_round = " (by round: " + ", ".join(f"{x:.2f}" for x in rounds) + ")"
        out.append(
            f"| {scenario}: ours ≥ {minimum}x {peer} | {ratio:.2f}x{by_round} | {'yes' if ratio >= minimum else '**no**'} |"
        )
    for scenario in ("keepalive", "keepalive8"):
        ours_p99 = med(scenario, "ours", "p99_us")
        lib_p99 = med(scenario, "libfcgi", "p99_us")
        if ours_p99 and lib_p99:
            lib_runs = by.get((scenario, "libfcgi"), [])
            ours_runs = by.get((scenario, "ours"), [])
            note = ""
            if served(lib_runs) != served(ours_runs):
                note = f" (connections served: ours {served(ours_runs)}, libfcgi {served(lib_runs)})"
            out.append(
                f"| {scenario}: p99 ≤ libfcgi's | {fmt(ours_p99)} µs vs {fmt(lib_p99)} µs{note} | {'yes' if ours_p99 <= lib_p99 else '**no**'} |"
            )
    for scenario, peer in CPU_TARGETS:
        ours_cpu = med(scenario, "ours", "cpu_us_per_req")
        peer_cpu = med(scenario, peer, "cpu_us_per_req")
        if ours_cpu and peer_cpu:
            out.append(
                f"| {scenario}: server CPU per request ≤ {peer}'s | {ours_cpu:.1f} µs vs {peer_cpu:.1f} µs | "
                f"{'yes' if ours_cpu <= peer_cpu else '**no**'} |"
            )
    mpx_errors = sum(r.get("errors", 0) for r in by.get(("mpx", "ours"), []))
    if by.get(("mpx", "ours")):
        out.append(f"| mpx: zero errors | {mpx_errors} | {'yes' if mpx_errors == 0 else '**no**'} |")
    for row in checks.get("idle", []):
        total = row["rss_idle_mib"]
        out.append(
            f"| {row['connections']:,} idle keep-alive connections < 100 MiB RSS | {total:.1f} MiB "
            f"({row['kib_per_connection']:.1f} KiB/conn, {row['still_open']:,} still open) | {'yes' if total < 100 and row['still_open'] == row['connections'] else '**no**'} |"
        )
    for row in checks.get("slow_requests", []):
        per = row["kib_per_connection"]
        out.append(
            f"| {row['connections']:,} connections stopped inside a request's {row['phase']}: < 16 KiB each | {per:.1f} KiB/conn "
            f"({row['rss_waiting_mib']:.1f} MiB; {row['rss_after_mib']:.1f} MiB once they closed) | {'yes' if per < 16 else '**no**'} |"
        )
    for row in checks.get("slow_client", []):
        peak = row["rss_peak_mib"]
        out.append(
            f"| 1 GiB response, client at 1 MiB/s: RSS < 64 MiB | peak {peak:.1f} MiB over {row['seconds']:.0f} s "
            f"({row['bytes_read'] / 1048576:.0f} MiB read) | {'yes' if peak < 64 else '**no**'} |"
        )
    echo = checks.get("echo_body", [])
    if echo:
        mib = median([r["body_mib_s"] for r in echo])
        out.append(
            f"| echo mode=body over a unix socket ≥ 1 GiB/s | {mib / 1024:.2f} GiB/s of request body "
            f"({echo[0]['body_bytes'] // 1024} KiB bodies, median of {len(echo)}) | {'yes' if mib >= 1024 else '**no**'} |"
        )
    print("\n".join(out))


if __name__ == "__main__":
    main()
