"""Rewrite README.md's configuration table from the settings object (`make docs`)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"

table = subprocess.run(
    [sys.executable, "-m", "tasks.cli", "config", "--format", "markdown"],
    check=True,
    capture_output=True,
    text=True,
).stdout.strip()
text = README.read_text(encoding="utf-8")
pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
README.write_text(pattern.sub(f"{START}\n{table}\n{END}", text), encoding="utf-8")
