"""Monitor ingest: the work itself (discovery, fetching, extraction, parse, normalize,
enrich, stores, and the runs that tie them: crawl, ingest, reprocess).

Framework-free: nothing here imports Celery; `tasks/` is the Celery face.
"""

__version__ = "0.1.0"
