"""The `monitor` command.

One module per command group; each registers itself on `main` when imported below.
Commands run the same `workers` functions the Celery tasks run, in-process, or enqueue
the tasks when asked (`--async`) and a broker is configured.
"""

from __future__ import annotations

from tasks.cli import (  # noqa: F401  (each module registers its commands)
    articles,
    config,
    delete,
    dlq,
    es,
    evaluate,
    kibana,
    reprocess,
    serve,
    show,
    sources,
)
from tasks.cli.base import main

__all__ = ["main"]
