#!/usr/bin/env python3
"""Time commands side by side, alternating them run by run.

hyperfine runs every repetition of one command before the next command, so a machine that gets
busier or quieter during a benchmark (other tenants of a VM, disk write-back) skews the ratio.
Alternating A, B, A, B… exposes both commands to the same conditions. Each run is started with
posix_spawn (no shell) after an untimed `--prepare` command; wall time comes from a monotonic
clock, CPU time (user + system) from wait4.

Writes hyperfine-like JSON: {"results": [{"command", "times", "mean", "median", "min", "user",
"system"}…]} (seconds).

Usage: interleave.py [--runs N] [--warmup N] [--prepare CMD] --json FILE -- CMD [CMD…]
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import time


def run_once(argv):
    """Wall seconds, user seconds, system seconds of one run of argv (output discarded)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        actions = [
            (os.POSIX_SPAWN_DUP2, devnull, 1),
            (os.POSIX_SPAWN_DUP2, devnull, 2),
        ]
        start = time.perf_counter()
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    finally:
        os.close(devnull)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{shlex.join(argv)}: exit status {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime, usage.ru_stime


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--prepare", default=None)
    p.add_argument("--json", required=True)
    p.add_argument("commands", nargs="+")
    a = p.parse_args()
    argvs = [shlex.split(c) for c in a.commands]
    samples = [[] for _ in argvs]
    for i in range(a.warmup + a.runs):
        # Alternate which command goes first, so neither always runs right after the other.
        order = list(range(len(argvs)))
        if i % 2:
            order.reverse()
        for k in order:
            if a.prepare:
                subprocess.run(a.prepare, shell=True, check=True)
            s = run_once(argvs[k])
            if i >= a.warmup:
                samples[k].append(s)
    results = []
    for cmd, runs in zip(a.commands, samples):
        walls = [w for w, _, _ in runs]
        results.append({
            "command": cmd,
            "times": walls,
            "mean": statistics.fmean(walls),
            "median": statistics.median(walls),
            "min": min(walls),
            "user": statistics.fmean(u for _, u, _ in runs),
            "system": statistics.fmean(s for _, _, s in runs),
        })
    with open(a.json, "w") as f:
        json.dump({"results": results}, f, indent=1)


if __name__ == "__main__":
    main()
