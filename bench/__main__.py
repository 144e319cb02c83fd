"""`python -m bench` (`make bench`): run every benchmark module in this package."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench


def main() -> None:
    for module in pkgutil.iter_modules(bench.__path__):
        if module.name.startswith("_"):
            continue
        print(f"== bench.{module.name}", flush=True)
        loaded = importlib.import_module(f"bench.{module.name}")
        argv, sys.argv = sys.argv, [f"bench.{module.name}"]
        try:
            loaded.main()
        finally:
            sys.argv = argv


if __name__ == "__main__":
    main()
