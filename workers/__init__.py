"""Monitor ingest: the work itself (sources, fetch, parse, normalize, enrich, stores).

Framework-free: nothing here imports Celery; `tasks/` is the Celery face.
"""

__version__ = "0.1.0"
