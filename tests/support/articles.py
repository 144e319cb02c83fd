"""Sample articles and a deterministic stand-in enricher for store and reprocess tests."""

from __future__ import annotations

import dataclasses
import re

from workers.model import Article, Citation, DateMention, Entity, RawArticle
from workers.pipeline import Pipeline
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
    return Indexable(Pipeline((enricher or KeywordEnricher(),)).process(raw), raw)
