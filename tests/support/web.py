"""A small index of articles that cite each other (and `serve`, a real `monitor serve`).

The articles are written in the Monitor's style (header line, parenthetical press
citations, "see the Monitor, January 17" for an internal one), modelled on
samples/monitor-v7-i14.txt: KONO is cited by KUCHMA,
KUCHMA by HOSTILE. Dates and citations come from the real enrichers; entities are
given as the entity enricher writes them (canonical name, surfaces as aliases), so
the tests do not load the NER model. HOSTILE carries `<script>` in its title and
body: article text is untrusted input.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devsupport.serve import Served, serve
from tests.fakes.es_cluster import Cluster
from tests.fakes.fake_elasticsearch import FakeElasticsearch
from tests.support.articles import raw_article
from workers.headline import headline_fields
from workers.model import Entity, RawArticle
from workers.pipeline import ENRICHER_SETS, Pipeline
from workers.stores import open_store
from workers.stores.base import Indexable
from workers.stores.embedded import EmbeddedStore

__all__ = ["ARTICLES", "HOSTILE", "KONO", "KUCHMA", "Served", "indexed", "serve"]
FAST = Pipeline(ENRICHER_SETS["no-entities"])  # real dates and citations, no NER
SCRIPT_TITLE = '<script>document.title="pwned-title"</script>Kirienko & Kuchma <b>talk</b>'
SCRIPT_BODY = "<script>document.title='pwned-body'</script>"


def _item(raw: RawArticle, *entities: Entity) -> Indexable:
    article = FAST.process(raw)
    return Indexable(dataclasses.replace(article, entities=entities), raw)


def _raw(issue: int, body: str, *, date: str, title: str | None, **fields: object) -> RawArticle:
    raw = raw_article(issue, body=body)
    return dataclasses.replace(raw, published_at=date, title=title, **fields)  # type: ignore[arg-type]


def person(name: str, *aliases: str) -> Entity:
    return Entity(name, "person", 1 + len(aliases), aliases=aliases)


KONO = _item(
    _raw(
        11,
        "Japanese Foreign Minister Yohei Kono arrived in Moscow for talks with Prime "
        "Minister Sergei Kirienko on the Kuril Islands dispute (Kyodo, January 16). The "
        "dispute goes back to the 1956 declaration.",
        date="2001-01-17",
        title="Kono in Moscow",
        authors=("Analyst One",),
        url="https://jamestown.org/program/kono-in-moscow/",
        fetched_from={"kind": "live"},
    ),
    person("Yohei Kono", "Kono"),
    person("Sergei Kirienko", "Kirienko"),
    Entity("Moscow", "location", 1, wikidata="Q649"),
)
KUCHMA = _item(
    _raw(
        14,
        "Ukrainian President Leonid Kuchma again denied any role in the affair, and "
        "Kirienko said Moscow would not interfere (see the Monitor, January 17). Kyiv "
        "promised an inquiry (Itar-Tass, January 19).",
        date="2001-01-22",
        title="Kuchma denies any role",
    ),
    person("Leonid Kuchma", "Kuchma"),
    person("Sergei Kirienko", "Kirienko"),
    Entity("Ukraine", "location", 1, wikidata="Q212"),
)
# The parser refuses <script> in a file, but the page trusts no document: an index may
# hold one written before that check, or by another writer of the cluster. So the
# markup goes in after the pipeline; `<img onerror>` passes the parser anyway.
_HOSTILE = _item(
    _raw(
        15,
        "Kirienko and Kuchma met in Kyiv on January 23 <img src=x onerror=alert(1)> "
        "(see the Monitor, January 22).",
        date="2001-01-24",
        title="placeholder",
        url="https://jamestown.org/program/kirienko-and-kuchma/",
    ),
    person("Sergei Kirienko", "Kirienko"),
    person("Leonid Kuchma", "Kuchma"),
)
_HOSTILE_BODY = f"{SCRIPT_BODY} {_HOSTILE.article.body}"
HOSTILE = Indexable(
    dataclasses.replace(
        _HOSTILE.article,
        title=SCRIPT_TITLE,
        body=_HOSTILE_BODY,
        url="javascript:alert(1)",
        extra={**_HOSTILE.article.extra, **headline_fields(SCRIPT_TITLE, _HOSTILE_BODY)},
    ),
    _HOSTILE.raw,
)
ARTICLES = (KONO, KUCHMA, HOSTILE)


@contextmanager
def indexed(backend: str, data_dir: Path) -> Iterator[dict[str, str]]:
    """ARTICLES in the embedded store or in a FakeElasticsearch; yields the
    environment under which `monitor serve` reads them."""
    if backend == "embedded":
        store = EmbeddedStore(data_dir / "monitor.sqlite3")
        store.write(list(ARTICLES))
        store.close()
        yield {"MONITOR_DATA_DIR": str(data_dir)}
        return
    with FakeElasticsearch() as fake:
        cluster = Cluster(fake.url, f"monitor-web-{uuid.uuid4().hex[:8]}", data_dir, fake)
        store = open_store(cluster.settings())
        store.write(list(ARTICLES))
        store.close()
        cluster.refresh()
        yield cluster.env()
        assert fake.violations == [], "FakeElasticsearch flagged requests"
