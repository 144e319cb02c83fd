"""Soak run: N articles through real workers while workers die and Redis restarts.

Enqueues N corpus articles (`bench.corpus`) in batches, runs two Celery worker
processes, SIGKILLs one of them every `--kill-every` seconds (and starts a new one)
for the first `--chaos-for` seconds, restarts the broker's redis-server once
half-way, and waits until every batch is done (batches abandoned by a killed worker
come back after the visibility timeout). Then it counts, straight from the store:
articles in, indexed, duplicates, missing, dead-lettered, and the wall time.
Target: 0 lost, 0 duplicates.

    python -m bench.soak [--articles 1000] [--kill-every 8] [--chaos-for 90] [--timeout 900]
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from bench import machine
from bench.corpus import build
from devsupport.processes import monitor, start_worker, stop
from devsupport.redis_server import RedisServer
from workers.pipeline import DEFAULT_PIPELINE
from workers.sources.files import read_file


def stored(db: Path) -> list[tuple[str, str]]:
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute("SELECT id, pipeline_version FROM articles").fetchall()


def kill(worker: subprocess.Popen[bytes]) -> None:
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--kill-every", type=float, default=8.0, help="seconds")
    parser.add_argument("--chaos-for", type=float, default=90.0, help="seconds of kills")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds")
    args = parser.parse_args()
    print(machine.describe())

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = build(work / "corpus", count=args.articles)
        expected = {DEFAULT_PIPELINE.build(read_file(f, max_bytes=10**7)).id for f in files}
        server = RedisServer(work / "redis", appendonly=True)
        server.start()
        env = {
            "MONITOR_BROKER_URL": server.url(0),
            "MONITOR_REDIS_URL": server.url(1),
            "MONITOR_DATA_DIR": str(work / "var"),
            "MONITOR_VISIBILITY_TIMEOUT_S": "30",
            "MONITOR_RETRY_BACKOFF_S": "0.5",
        }
        db = work / "var" / "monitor.sqlite3"
        started = time.monotonic()
        enqueue = monitor(
            "ingest", "--async", "--batch-size", str(args.batch_size), str(work / "corpus"),
            env=env,
        )  # fmt: skip
        if enqueue.returncode != 0:
            raise SystemExit(enqueue.stderr)
        workers = [start_worker(env, log=work / f"w{n}.log", hostname=f"soak{n}") for n in range(2)]
        kills = restarts = 0
        spawned = 2
        last_kill = time.monotonic()
        try:
            while time.monotonic() - started < args.timeout:
                time.sleep(0.5)
                done = len(stored(db))
                try:
                    waiting = redis.Redis.from_url(server.url(0)).llen("ingest")
                except redis.exceptions.ConnectionError:
                    waiting = -1
                if done >= len(expected) and waiting == 0:
                    break
                if restarts == 0 and done >= len(expected) // 2:
                    server.stop()
                    time.sleep(2)
                    server.start()
                    restarts += 1
                    print(f"{time.monotonic() - started:6.1f}s  redis restarted at {done} indexed")
                chaos = time.monotonic() - started < args.chaos_for
                if chaos and time.monotonic() - last_kill >= args.kill_every:
                    victim = workers.pop(0)
                    kill(victim)
                    kills += 1
                    workers.append(
                        start_worker(env, log=work / f"w{spawned}.log", hostname=f"soak{spawned}")
                    )
                    spawned += 1
                    last_kill = time.monotonic()
                    print(f"{time.monotonic() - started:6.1f}s  killed a worker at {done} indexed")
            wall = time.monotonic() - started
        finally:
            for worker in workers:
                stop(worker)
        rows = stored(db)
        ids = [r[0] for r in rows]
        dlq = monitor("dlq", "list", "--format", "json", env=env)
        dead = dlq.stdout.count('"ref"')
        broker = redis.Redis.from_url(server.url(0))
        print(
            f"broker at the end: {broker.llen('ingest')} waiting, "
            f"{broker.hlen('unacked')} unacknowledged, keys {sorted(broker.keys())[:10]}"
        )
        server.stop()

    lost = len(expected - set(ids))
    print(
        f"articles in {len(expected)}, indexed {len(set(ids))}, duplicates "
        f"{len(ids) - len(set(ids))}, lost {lost}, dead-lettered {dead}, "
        f"stale pipeline_version {sum(1 for r in rows if r[1] != DEFAULT_PIPELINE.version)}"
    )
    print(
        f"wall {wall:.1f}s ({len(set(ids)) / wall:.1f} articles/s) with {kills} worker kills "
        f"and {restarts} Redis restart(s); batch size {args.batch_size}"
    )
    if lost or len(ids) != len(set(ids)):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
