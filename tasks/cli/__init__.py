"""The `monitor` command.

One module per command group; each registers itself on `main` when imported below.
Commands run the same `workers` functions the Celery tasks run, in-process, or enqueue
the tasks when asked (`--async`) and a broker is configured.
"""

from __future__ import annotations

from tasks.cli import articles  # noqa: F401  (registers ingest, search, enrich, status)
import tasks.cli.es  # noqa: F401  (registers es setup/indices/prune; one line per group)
import tasks.cli.kibana  # noqa: F401  (registers kibana import)
import tasks.cli.reprocess  # noqa: F401  (registers reprocess)
from tasks.cli.base import main

__all__ = ["main"]
