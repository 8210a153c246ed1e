#!/usr/bin/env python3
"""Times shell commands side by side, alternating runs so that both see the same machine.

usage: timeit.py RUNS NAME=COMMAND [NAME=COMMAND ...]

Prints, per command, the median and the minimum wall time in milliseconds, and each
command's median relative to the first one's.
"""
import statistics
import subprocess
import sys
import time


def main():
    runs = int(sys.argv[1])
    cmds = [a.split("=", 1) for a in sys.argv[2:]]
    times = {name: [] for name, _ in cmds}
    for name, cmd in cmds:  # one warm-up each: page cache, first exec
        subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    for _ in range(runs):
        for name, cmd in cmds:
            t = time.perf_counter()
            subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append((time.perf_counter() - t) * 1000)
    ref = statistics.median(times[cmds[0][0]])
    for name, _ in cmds:
        med = statistics.median(times[name])
        print(f"{name:40s} median {med:8.1f} ms   min {min(times[name]):8.1f} ms   {med / ref:5.2f}x")


if __name__ == "__main__":
    main()
