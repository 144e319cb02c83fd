"""`python -m bench` (`make bench`): the standard benchmarks, one after the other.

The soak run (`python -m bench.soak`, minutes of killed workers) is left out: run it
on purpose (`make soak`).
"""

from __future__ import annotations

import importlib
import sys

STANDARD = ("enrich", "pipeline", "reprocess", "fetch", "serve", "startup")


def main() -> None:
    for name in STANDARD:
        print(f"== bench.{name}", flush=True)
        loaded = importlib.import_module(f"bench.{name}")
        argv, sys.argv = sys.argv, [f"bench.{name}"]
        try:
            loaded.main()
        finally:
            sys.argv = argv


if __name__ == "__main__":
    main()
