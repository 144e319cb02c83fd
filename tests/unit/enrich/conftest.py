"""Shared fixtures for the enrichment tests: the spaCy model loads once per session."""

from __future__ import annotations

from typing import Any

import pytest

from workers.enrich import ner
from workers.settings import get_settings


@pytest.fixture(scope="session")
def nlp() -> Any:
    """The NER pipeline (cached by `ner.load` for the whole process)."""
    return ner.load(get_settings().spacy_model)
