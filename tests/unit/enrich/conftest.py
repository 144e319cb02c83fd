"""Shared fixtures for the enrichment tests: the spaCy model loads once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workers.enrich import ner
from workers.settings import get_settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
GOLD = FIXTURES / "gold"


@pytest.fixture(scope="session")
def nlp() -> Any:
    """The NER pipeline (cached by `ner.load` for the whole process)."""
    return ner.load(get_settings().spacy_model)
