"""The `monitor` command.

One module per command group; each registers itself on `main` when imported below.
Commands run the same `workers` functions the Celery tasks run, in-process, or enqueue
the tasks when asked (`--async`) and a broker is configured.
"""

from __future__ import annotations

import tasks.cli.es  # registers es setup/indices/prune (issue 4)
import tasks.cli.kibana  # registers kibana import (issue 4)
import tasks.cli.reprocess  # noqa: F401  (registers reprocess, issue 4)
from tasks.cli import articles  # noqa: F401  (registers ingest, search, enrich, status)
from tasks.cli.base import main

__all__ = ["main"]
