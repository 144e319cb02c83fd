"""The shipped Kibana saved objects: parse, unique ids, references resolve, fields exist."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tasks.cli.kibana import MIN_KIBANA, SAVED_OBJECTS, objects_for_alias, too_old
from workers.settings import Settings
from workers.stores.es_indices import load_template

FILES = sorted(SAVED_OBJECTS.glob("*.ndjson"))


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


def test_data_view_is_the_alias_with_a_time_field_every_document_has() -> None:
    # Issue 25 point 4: `published_at` may be null, and a document without a value in
    # the time field is in no panel and no Discover view; `time` never is (stores fill it).
    views = [o for o in _objects() if o["type"] == "index-pattern"]
    assert len(views) == 1
    attributes = views[0]["attributes"]
    assert attributes["title"] == Settings.model_fields["elasticsearch_alias"].default
    assert attributes["timeFieldName"] == "time"
    assert "time" in _mapped_fields()
    histograms = {
        c["sourceField"]
        for o in _objects()
        if o["type"] == "lens"
        for layer in o["attributes"]["state"]["datasourceStates"]["formBased"]["layers"].values()
        for c in layer["columns"].values()
        if c["operationType"] == "date_histogram" and c["sourceField"] != "mentioned_dates"
    }
    assert histograms == {"time"}


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


def test_dashboard_panels_carry_the_version_of_their_objects() -> None:
    # Kibana 7.3-8.10 read each panel's `version` (SavedDashboardPanel in Kibana's
    # dashboard plugin, common/content_management/v1/types.ts).
    for dashboard in (o for o in _objects() if o["type"] == "dashboard"):
        for panel in json.loads(dashboard["attributes"]["panelsJSON"]):
            assert panel["version"] == dashboard["typeMigrationVersion"], panel["panelIndex"]


def test_the_minimum_kibana_is_the_newest_migration_version_shipped() -> None:
    newest = max(tuple(map(int, o["typeMigrationVersion"].split("."))) for o in _objects())
    assert newest == MIN_KIBANA
    assert too_old("8.8.2") and too_old("7.17.9")
    assert not too_old("8.9.0") and not too_old("9.0.0-SNAPSHOT") and not too_old("unknown")


def test_the_data_view_title_follows_the_alias_and_nothing_else_changes() -> None:
    for path in FILES:
        original = path.read_text(encoding="utf-8")
        changed = objects_for_alias(original, "archive-articles")
        before = [json.loads(line) for line in original.splitlines()]
        after = [json.loads(line) for line in changed.splitlines()]
        for old, new in zip(before, after, strict=True):
            if old["type"] == "index-pattern":
                assert new["attributes"]["title"] == "archive-articles"
                assert new["id"] == old["id"]  # references still resolve
                new["attributes"]["title"] = old["attributes"]["title"]
            assert new == old


def test_saved_searches_query_nested_fields_with_nested_syntax() -> None:
    """KQL reaches inside `nested` entities/citations/dates only as `path:{ ... }`; a
    dotted `dates.start` would match nothing. Both conditions of the date-range search
    hold for one and the same mention."""
    queries = {}
    for obj in (o for o in _objects() if o["type"] == "search"):
        source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        queries[obj["id"]] = source["query"]["query"]
    for query in queries.values():
        assert not re.search(r"\b(?:entities|citations|dates)\.", query), query
    assert queries["monitor-search-march-2001"] == (
        'dates:{ start >= "2001-03-01" and end <= "2001-03-31" }'
    )
    assert queries["monitor-search-person-any-spelling"].startswith("entities:{ name : ")
    assert queries["monitor-search-cites-outlet"].startswith("citations:{ source : ")


def test_dashboard_shows_people_and_outlets_over_time_and_a_date_range_search() -> None:
    lens = {o["id"]: o for o in _objects() if o["type"] == "lens"}
    (dashboard,) = [o for o in _objects() if o["type"] == "dashboard"]
    shown = {r["id"] for r in dashboard["references"]}
    over_time = {
        layer["columns"]["c_split"]["sourceField"]
        for o in lens.values()
        if o["id"] in shown
        for layer in o["attributes"]["state"]["datasourceStates"]["formBased"]["layers"].values()
        if "c_split" in layer["columns"] and layer["columns"]["c_x"]["sourceField"] == "time"
    }
    assert {"people", "outlets"} <= over_time
    assert "monitor-search-march-2001" in shown
