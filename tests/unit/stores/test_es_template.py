"""The index template: every contract field mapped, strict, versioned."""

from __future__ import annotations

import json
from pathlib import Path

from workers.stores import es_documents
from workers.stores.es_indices import index_number, load_template, mapping_version

SCHEMA = json.loads(Path("tests/fixtures/schema/article.schema.json").read_text(encoding="utf-8"))


def test_every_contract_field_and_index_only_field_is_mapped() -> None:
    # With dynamic: strict an unmapped field fails the write: a field added to the
    # contract must be added here (and mapping_version bumped) in the same change.
    props = load_template("monitor-articles")["template"]["mappings"]["properties"]
    assert set(SCHEMA["properties"]) <= set(props)
    assert set(es_documents.INDEX_ONLY_FIELDS) <= set(props)
    for nested in ("entities", "citations", "dates"):
        item = SCHEMA["properties"][nested]["items"]["properties"]
        assert props[nested]["type"] == "nested"
        assert set(item) <= set(props[nested]["properties"])


def test_template_is_strict_versioned_and_follows_the_alias() -> None:
    template = load_template("my-alias")
    assert template["index_patterns"] == ["my-alias-v*"]
    assert template["template"]["mappings"]["dynamic"] == "strict"
    assert mapping_version(template) == template["template"]["mappings"]["_meta"]["mapping_version"]
    assert not any(k.startswith("_comment") for k in template)


def test_index_numbers() -> None:
    assert index_number("monitor-articles", "monitor-articles-v12") == 12
    assert index_number("monitor-articles", "monitor-articles-v1-old") is None
    assert index_number("monitor-articles", "other-v1") is None
