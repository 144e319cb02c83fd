"""The four enrichers, in pipeline order: publication date → dates → citations → entities.

Each is a thin `Article -> Article` wrapper over the pure functions of its module, so
the order and versions live in `workers.pipeline.ENRICHER_SETS` and the logic stays
testable on plain strings. Bump `version` whenever an enricher's output may change:
it is part of `pipeline_version` and of the enrichment cache key.
"""

from __future__ import annotations

import dataclasses
import email.utils
from collections.abc import Sequence
from datetime import date, timedelta

from workers.enrich import citations, dates, entities, ner, publications
from workers.model import Article
from workers.settings import DEFAULT_SPACY_MODEL

# How far past an estimated interval a cited day may lie and still count as this
# year's: estimates drift by a few holidays, sources do not.
_ESTIMATE_SLACK = timedelta(days=14)
# Below this share of Latin letters an English NER model is not worth running.
_MIN_LATIN_SHARE = 0.5


def anchor_of(article: Article) -> dates.Anchor | None:
    """The date to resolve year-less mentions against, if the article has one."""
    on = _iso_date(article.published_at)
    if on is None:
        return None
    latest = _iso_date((article.published_at_range or {}).get("lte")) or on
    return dates.Anchor(on=on, latest=max(on, latest))


class PublicationDate:
    """`published_at` from metadata, or estimated from volume/issue and the cited dates."""

    name = "published_at"
    version = "2"  # 2: issue calendars of today's series (issue 28)

    def __call__(self, article: Article) -> Article:
        given = _iso_date(article.published_at)
        if given is not None:
            return dataclasses.replace(
                article, published_at=given.isoformat(), published_at_source="metadata"
            )
        pub = publications.lookup_header(article.publication)
        if pub is None or article.volume is None:
            note = (
                "published_at: no date given and no volume/issue of a known publication "
                "to estimate it from; year-less dates left unresolved"
            )
            return dataclasses.replace(
                article, published_at=None, enrich_notes=(*article.enrich_notes, note)
            )
        est = publications.estimate(pub, volume=article.volume, issue=article.issue)
        est = publications.refine(est, latest_cited=_latest_cited(article.body, est))
        return dataclasses.replace(
            article,
            published_at=est.value.isoformat(),
            published_at_source="estimated",
            published_at_range=est.range(),
        )


def _latest_cited(body: str, est: publications.Estimate) -> date | None:
    """The latest day the text reports as past: its source citations, and day dates
    that fall no later than the estimated interval (later ones may be plans)."""
    anchor = dates.Anchor(on=est.value, latest=est.lte + _ESTIMATE_SLACK)
    found = citations.extract(body, anchor)
    days = [date.fromisoformat(c.date) for c in found if c.date and len(c.date) == 10]
    spans = [c.span for c in found if c.span]
    for mention in dates.find_dates(body, anchor, past_spans=spans).mentions:
        end = date.fromisoformat(mention.end)
        if mention.granularity == "day" and end <= est.lte:
            days.append(end)
    return max(days, default=None)


class Dates:
    name = "dates"
    version = "2"  # 2: "March last year", a speaker's "today", the new estimates

    def __call__(self, article: Article) -> Article:
        spans = citations.citation_spans(article.body)
        scan = dates.find_dates(article.body, anchor_of(article), past_spans=spans)
        return dataclasses.replace(
            article, dates=scan.mentions, enrich_notes=(*article.enrich_notes, *scan.notes)
        )


class Citations:
    name = "citations"
    version = "2"  # 2: web accounts, look-alike letters, no-comma outlets, "Issue 53"

    def __call__(self, article: Article) -> Article:
        found = citations.extract(article.body, anchor_of(article))
        return dataclasses.replace(article, citations=found)


@dataclasses.dataclass(frozen=True)
class Entities:
    """spaCy for recall, the gazetteer and in-article coreference for canonical names.

    `model` is the spaCy pipeline to load: `MONITOR_SPACY_MODEL` reaches it through
    `Pipeline.from_settings` (workers/runtime.py); the default is the setting's default.
    `batch` runs a whole batch through one `nlp.pipe` call; `__call__` is a batch of one.
    """

    name = "entities"
    version = "3"  # 2: organization rules, NER budget; 3: today's groups, units, places
    model: str = DEFAULT_SPACY_MODEL

    def warm_up(self) -> None:
        entities.gazetteer()
        ner.recognize(["Vladimir Putin met the Japanese delegation in Moscow."], model=self.model)

    def __call__(self, article: Article) -> Article:
        return self.batch([article])[0]

    def batch(self, articles: Sequence[Article]) -> list[Article]:
        english = [a for a in articles if entities.latin_share(a.body) >= _MIN_LATIN_SHARE]
        read = [ner.budget(a.body) for a in english]
        texts = [a.body[:n] for a, n in zip(english, read, strict=True)]
        found = iter(zip(ner.recognize(texts, model=self.model), read, strict=True))
        out = []
        for article in articles:
            if english and article is english[0]:
                english.pop(0)
                out.append(_with_entities(article, *next(found)))
            elif article.body.strip():
                # An English model on Cyrillic or Chinese text finds only noise.
                note = "entities: skipped, the text is mostly not in the Latin alphabet"
                out.append(
                    dataclasses.replace(
                        article, entities=(), enrich_notes=(*article.enrich_notes, note)
                    )
                )
            else:
                out.append(dataclasses.replace(article, entities=()))
        return out


def _with_entities(article: Article, spans: list[ner.NerSpan], read: int) -> Article:
    """`article` with the entities of its recognized spans, its cited outlets and the
    gazetteer; a note when NER read only the first `read` characters."""
    cited = [(c.span, c.source) for c in article.citations if c.kind != "web" and c.span]
    resolved = entities.resolve(article.body, spans, outlets=cited)
    resolved = entities.with_title(article.title, resolved)
    notes = article.enrich_notes
    if read < len(article.body):
        notes = (
            *notes,
            f"entities: names recognized in the first {read:,} of {len(article.body):,} "
            "characters, the gazetteer's throughout",
        )
    return dataclasses.replace(article, entities=resolved, enrich_notes=notes)


def _iso_date(value: str | None) -> date | None:
    """ISO dates and timestamps; also RFC 2822 (feeds) and "April 14, 2016" (pages)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        pass
    days = [m for m in dates.find_dates(value, None).mentions if m.granularity == "day"]
    return date.fromisoformat(days[0].start) if len(days) == 1 else None
