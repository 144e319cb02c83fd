"""Stores: where articles are indexed. `open_store` picks one from settings."""

from __future__ import annotations

from workers.settings import Settings
from workers.stores.base import Store


def open_store(settings: Settings) -> Store:
    """Elasticsearch when `MONITOR_ELASTICSEARCH_URL` is set, else the embedded store."""
    if settings.elasticsearch_url is not None:
        from workers.stores.elasticsearch import ElasticsearchStore

        return ElasticsearchStore.from_settings(settings)
    from workers.stores.embedded import EmbeddedStore

    return EmbeddedStore(
        settings.embedded_db,
        busy_timeout_s=settings.sqlite_busy_timeout_s,
        synchronous=settings.sqlite_synchronous,
    )
