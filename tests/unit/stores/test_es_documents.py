"""Pure translation rules of the Elasticsearch store."""

from __future__ import annotations

import pytest

from tests.support.articles import KeywordEnricher, indexable
from workers.stores.es_documents import (
    failure_reason,
    from_source,
    period_bounds,
    to_source,
)


@pytest.mark.parametrize(
    ("value", "bounds"),
    [
        ("2001-01-17", ("2001-01-17", "2001-01-17")),
        ("2000-02", ("2000-02-01", "2000-02-29")),
        ("2001", ("2001-01-01", "2001-12-31")),
    ],
)
def test_period_bounds(value: str, bounds: tuple[str, str]) -> None:
    assert period_bounds(value) == bounds


def test_period_bounds_rejects_other_text() -> None:
    with pytest.raises(ValueError, match="YYYY"):
        period_bounds("January 2001")


def test_source_round_trips_and_adds_index_only_fields() -> None:
    item = indexable(7, KeywordEnricher(internal_target="target-id"))
    source = to_source(item, indexed_at="2026-01-01T00:00:00+00:00")
    assert source["people"] == ["Vladimir Putin"] and source["places"] == ["Moscow"]
    assert source["names"] == ["Vladimir Putin", "Putin", "Moscow"]
    assert source["internal_targets"] == ["target-id"] and source["internal_citation_count"] == 1
    assert source["mentioned_dates"] == ["2001-03-01"]
    back = from_source(source)
    assert back.to_document() == {
        **item.article.to_document(),
        "indexed_at": source["indexed_at"],
        "time": item.article.published_at,
        "time_source": "published_at",
    }
    # The fingerprint ignores indexed_at: the same article twice is "unchanged".
    assert to_source(item, indexed_at="later")["fingerprint"] == source["fingerprint"]


def test_failure_reason_is_one_line_with_the_cause() -> None:
    error = {
        "type": "document_parsing_exception",
        "reason": "failed to parse",
        "caused_by": {"type": "illegal_argument_exception", "reason": "bad date"},
    }
    assert failure_reason(error) == (
        "document_parsing_exception: failed to parse "
        "(caused by: illegal_argument_exception: bad date)"
    )
