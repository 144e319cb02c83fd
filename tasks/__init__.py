"""The Celery face of Monitor ingest: app, task wrappers, beat schedule and the CLI."""
