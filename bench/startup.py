"""`python -m bench.startup`: how long `monitor` takes to start, against Python alone.

Issue 24's target: `monitor --help` at most 3x `python -c "import click"`. Both are
separate processes, timed the same way: the best of N runs (the least disturbed by
other work on a shared machine) and the median, as wall time and as CPU time (user +
system of the child, steadier than wall time when other processes compete for the
cores). The commands run through the installed `monitor` script beside this Python
when there is one (as a user runs it), else `python -m tasks.cli`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import describe
from devsupport.processes import ROOT, env_with

TARGET = 3.0


def monitor_command() -> list[str]:
    script = Path(sys.executable).with_name("monitor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tasks.cli"]


def timed(args: list[str], *, runs: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of `runs` runs of `args`, output discarded."""
    walls, cpus = [], []
    for _ in range(runs):
        before = os.times()
        start = time.perf_counter()
        subprocess.run(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - start)
        after = os.times()
        cpus.append(
            (after.children_user - before.children_user)
            + (after.children_system - before.children_system)
        )
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    print(describe())
    monitor = monitor_command()
    print(f"monitor: {' '.join(monitor)}; best and median of {runs} runs each")
    with tempfile.TemporaryDirectory() as data:
        env = env_with({"MONITOR_DATA_DIR": data})
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            'python -c "import click"': [sys.executable, "-c", "import click"],
            "monitor --help": [*monitor, "--help"],
            "monitor --version": [*monitor, "--version"],
            "monitor search --help": [*monitor, "search", "--help"],
            "monitor search Kiriyenko (empty index)": [*monitor, "search", "Kiriyenko"],
            "monitor config": [*monitor, "config"],
        }
        results = {}
        print(f"{'command':<42}{'wall best':>10}{'median':>9}{'cpu best':>10}{'median':>9}")
        for label, args in cases.items():
            walls, cpus = timed(args, runs=runs, env=env)
            results[label] = (min(walls), min(cpus))
            print(
                f"{label:<42}{min(walls):>9.3f}s{statistics.median(walls):>8.3f}s"
                f"{min(cpus):>9.3f}s{statistics.median(cpus):>8.3f}s"
            )
    click_wall, click_cpu = results['python -c "import click"']
    help_wall, help_cpu = results["monitor --help"]
    print(
        f"monitor --help / import click: wall {help_wall / click_wall:.2f}x, "
        f"cpu {help_cpu / click_cpu:.2f}x (target <= {TARGET:.0f}x)"
    )


if __name__ == "__main__":
    main()
