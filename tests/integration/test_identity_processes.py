"""Text prints agree across processes: a print one worker stores is compared by another
(workers/sources/identity.py), so it must not depend on Python's salted `hash()`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from workers.sources.identity import textprint

pytestmark = pytest.mark.integration

TEXT = (
    "Russian President Boris Yeltsin yesterday signed a decree dismissing the government "
    "of Prime Minister Viktor Chernomyrdin and named Sergei Kirienko, the fuel and energy "
    "minister, acting prime minister. The move came without warning and surprised the "
    "Duma, whose leaders said they had not been consulted about the change."
)


def test_prints_are_the_same_in_every_process() -> None:
    code = (
        "import json,sys; from workers.sources.identity import textprint;"
        "print(json.dumps(textprint(sys.argv[1]).whole))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code, TEXT],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1] and json.loads(runs[0]) == list(textprint(TEXT).whole)
