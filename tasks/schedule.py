"""The beat schedule: one entry per enabled source, every `interval_s` seconds.

Run beat once (`celery -A tasks.app beat`): a second beat process would fire every
tick twice, which the per-source lock makes harmless but wasteful. An entry expires
after one interval, so ticks queued while no worker was up do not pile up.
"""

from __future__ import annotations

import logging
from typing import Any

from workers.settings import Settings
from workers.sources.config import SourceConfigError, interval_of, load_sources

log = logging.getLogger(__name__)


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    try:
        sources = load_sources(settings)
    except SourceConfigError as exc:
        # Workers must still start (they ingest files too); beat logs why it is idle.
        log.error("no sources scheduled: %s", exc)
        return {}
    schedule: dict[str, dict[str, Any]] = {}
    for source in sources:
        every = float(interval_of(source, settings))
        schedule[f"source:{source.name}"] = {
            "task": "monitor.run_source",
            "schedule": every,
            "args": [source.name],
            "options": {"queue": settings.ingest_queue, "expires": every},
        }
    return schedule
