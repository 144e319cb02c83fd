"""The beat schedule: one entry per enabled source, every `interval_s` seconds.

Run beat once (`celery -A tasks.app beat`): a second beat process would fire every
tick twice, which the per-source lock makes harmless but wasteful. An entry expires
after one interval, so ticks queued while no worker was up do not pile up.

Beat remembers each entry's last run in a schedule file; it lives in
`MONITOR_DATA_DIR` (`DataDirScheduler`), never in whatever directory beat was started
from, where Celery's default would leave `celerybeat-schedule.*` files behind.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from celery.beat import PersistentScheduler

from workers.settings import Settings
from workers.sources.config import SourceConfigError, interval_of, load_sources

log = logging.getLogger(__name__)
SCHEDULE_FILE = "celerybeat-schedule"


def schedule_file(settings: Settings) -> Path:
    """Where beat keeps its schedule (`beat_schedule_filename`; `--schedule` overrides)."""
    return settings.data_dir / SCHEDULE_FILE


class DataDirScheduler(PersistentScheduler):  # type: ignore[misc]
    """Celery's persistent scheduler, creating the schedule file's directory first:
    the data dir may not exist yet when beat is the first process to start."""

    def setup_schedule(self) -> None:
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()


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
