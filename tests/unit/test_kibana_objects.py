"""The shipped Kibana saved objects: parse, unique ids, references resolve, fields exist."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workers.settings import Settings
from workers.stores.es_indices import load_template

FILES = sorted(Path("infra/kibana").glob("*.ndjson"))


def _objects() -> list[dict[str, Any]]:
    out = []
    for path in FILES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert line.strip(), f"{path}:{number}: blank line"
            out.append(json.loads(line))
    return out


def _mapped_fields() -> set[str]:
    props = load_template("x")["template"]["mappings"]["properties"]
    fields: set[str] = set()

    def walk(prefix: str, mapping: dict[str, Any]) -> None:
        for name, spec in mapping.items():
            full = f"{prefix}{name}"
            fields.add(full)
            walk(f"{full}.", spec.get("properties", {}))
            for sub in spec.get("fields", {}):
                fields.add(f"{full}.{sub}")

    walk("", props)
    return fields


def test_every_object_parses_and_ids_are_unique() -> None:
    objects = _objects()
    assert FILES and objects
    keys = [(o["type"], o["id"]) for o in objects]
    assert len(keys) == len(set(keys))
    assert {o["type"] for o in objects} >= {"index-pattern", "search", "lens", "dashboard"}


def test_every_reference_resolves() -> None:
    objects = _objects()
    known = {(o["type"], o["id"]) for o in objects}
    for obj in objects:
        names = [r["name"] for r in obj["references"]]
        assert len(names) == len(set(names)), obj["id"]
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in known, (obj["id"], ref)
        if obj["type"] == "dashboard":
            for panel in json.loads(obj["attributes"]["panelsJSON"]):
                assert f"{panel['panelIndex']}:{panel['panelRefName']}" in names
        if obj["type"] == "search":
            source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
            assert source["indexRefName"] in names
        if obj["type"] == "lens":
            for layer in obj["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]:
                assert f"indexpattern-datasource-layer-{layer}" in names


def test_data_view_is_the_alias_with_published_at_as_time_field() -> None:
    views = [o for o in _objects() if o["type"] == "index-pattern"]
    assert len(views) == 1
    attributes = views[0]["attributes"]
    assert attributes["title"] == Settings.model_fields["elasticsearch_alias"].default
    assert attributes["timeFieldName"] == "published_at"


@pytest.mark.parametrize("kind", ["lens", "search"])
def test_every_field_used_is_in_the_index_mapping(kind: str) -> None:
    mapped = _mapped_fields() | {"___records___"}
    for obj in (o for o in _objects() if o["type"] == kind):
        if kind == "lens":
            layers = obj["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
            used = {
                c["sourceField"] for layer in layers.values() for c in layer["columns"].values()
            }
        else:
            used = set(obj["attributes"]["columns"])
        assert used <= mapped, (obj["id"], used - mapped)


def test_dashboard_has_the_panels_an_analyst_opens_first() -> None:
    lens = {o["id"]: o for o in _objects() if o["type"] == "lens"}
    fields = {
        c["sourceField"]
        for o in lens.values()
        for layer in o["attributes"]["state"]["datasourceStates"]["formBased"]["layers"].values()
        for c in layer["columns"].values()
    }
    assert {
        "publication",
        "people",
        "places",
        "organizations",
        "outlets",
        "internal_targets",
        "internal_citation_count",
        "mentioned_dates",
    } <= fields
