"""Shared test helpers: sample articles, a deterministic enricher, a real redis-server."""

from __future__ import annotations

import dataclasses
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from workers import pipeline
from workers.model import Article, Citation, DateMention, Entity, RawArticle
from workers.stores.base import Indexable

BODIES = {
    7: "Vladimir Putin met officials in Moscow on Tuesday to discuss the pipeline "
    "(Kommersant, January 19). The talks will continue in March 2001 (see the Monitor, "
    "January 17).",
    8: "Gazprom announced new export terms for the Caspian region (Izvestia, January 20). "
    "Analysts in Moscow were not surprised.",
    9: "The Duma debated the budget. Putin did not attend (Interfax, January 22).",
}
DATES = {7: "2001-01-22", 8: "2001-01-23", 9: "2001-01-24"}


def raw_article(issue: int, *, publication: str = "Monitor", body: str | None = None) -> RawArticle:
    text = f"Publication: {publication} Volume: 7 Issue: {issue}\n\n{body or BODIES[issue]}"
    return RawArticle(
        text=text,
        origin=f"test-{issue}",
        title=f"Test article {issue}",
        published_at=DATES.get(issue, "2001-02-01"),
    )


@dataclasses.dataclass(frozen=True)
class KeywordEnricher:
    """A deterministic stand-in for the real enrichers: people, places, outlets, one
    internal citation and one date mention, found by fixed patterns. `version`
    (and `tag`) let a test "change the enricher"."""

    name: str = "test-keywords"
    version: str = "1"
    tag: str = ""
    internal_target: str | None = None

    def __call__(self, article: Article) -> Article:
        body = article.body
        entities = []
        for name, kind, alias in (
            ("Vladimir Putin", "person", "Putin"),
            ("Moscow", "location", "Moscow"),
            ("Gazprom", "organization", "Gazprom"),
        ):
            n = body.count(alias)
            if n:
                entities.append(
                    Entity(name=name + self.tag, type=kind, mentions=n, aliases=(alias,))
                )  # type: ignore[arg-type]
        citations = [
            Citation(source=m.group(1), date=None, kind="press", raw=m.group(0))
            for m in re.finditer(r"\((Kommersant|Izvestia|Interfax), [A-Z][a-z]+ \d+\)", body)
        ]
        if "(see the Monitor, January 17)" in body:
            citations.append(
                Citation(
                    source="Monitor",
                    date="2001-01-17",
                    kind="internal",
                    target_id=self.internal_target,
                )
            )
        dates = []
        if "March 2001" in body:
            dates.append(
                DateMention(
                    text="March 2001", start="2001-03-01", end="2001-03-31", granularity="month"
                )
            )
        return dataclasses.replace(
            article, entities=tuple(entities), citations=tuple(citations), dates=tuple(dates)
        )


def indexable(issue: int, enricher: KeywordEnricher | None = None, **kw: object) -> Indexable:
    raw = raw_article(issue, **kw)  # type: ignore[arg-type]
    return Indexable(pipeline.process(raw, enrichers=[enricher or KeywordEnricher()]), raw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def redis_server(tmp: Path) -> Iterator[str]:
    """A private redis-server on a free port (never 6379), gone after the block."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed"
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(tmp),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
