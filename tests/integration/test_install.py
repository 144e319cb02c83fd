"""A plain `pip install .` must bring everything the code imports (issue 25, point 7).

The machine's own pip (23.2) does not follow a dependency's request for another
package's extra when the two spell it differently (justext asks for
`lxml[html_clean]`, lxml declares `html-clean`), so `lxml.html.clean` was missing
after `pip install .` and every fetching module failed to import. The test rebuilds
what such an install holds: the closure of pyproject's dependencies, following each
dependency's own requirements but never an extra one of them asks of another (only the
extras pyproject names itself, such as `celery[redis]`). Then, in a fresh interpreter
that can import nothing else, it imports every module of `workers` and `tasks`. A
library's optional import (`try: import yaml`) just falls back there; a required one
that is not declared fails the test with its name.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.processes import ROOT

pytestmark = pytest.mark.integration

_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")

# Runs in the fresh interpreter: refuse every top-level module outside ALLOWED, then
# import each module of the two packages and report what failed.
_PROBE = r"""
import importlib, importlib.abc, json, pkgutil, sys
allowed = set(json.loads(sys.argv[1]))

class Uninstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in allowed or top in sys.stdlib_module_names or top.startswith("_"):
            return None
        raise ModuleNotFoundError(f"No module named {top!r} (not installed by pip install .)")

sys.meta_path.insert(0, Uninstalled())
failed = {}
for package in ("workers", "tasks"):
    for info in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
        if info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except Exception as exc:
            failed[info.name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(failed))
"""


def installed_closure(requirements: list[str]) -> set[str]:
    """The distributions pip 23.2 installs for `requirements`: each one's requirements,
    recursively, extras included, but an extra's name compared as written (that pip
    predates the normalization of extra names, PEP 685: `html_clean` is not
    `html-clean`)."""
    environment = {k: str(v) for k, v in default_environment().items()}
    todo = [Requirement(r) for r in requirements]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        requirement = todo.pop()
        key = (canonicalize_name(requirement.name), frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        for line in metadata.requires(requirement.name) or ():
            nested = Requirement(line)
            if _applies(nested, requirement.extras, environment):
                todo.append(nested)
    return {name for name, _ in seen}


def _applies(requirement: Requirement, extras: set[str], environment: dict[str, str]) -> bool:
    marker = requirement.marker
    if marker is None:
        return True
    named = _EXTRA.findall(str(marker))
    if not named:
        return marker.evaluate({**environment, "extra": ""})
    return any(x in extras and marker.evaluate({**environment, "extra": x}) for x in named)


def _modules_of(distributions: set[str]) -> set[str]:
    return {
        module
        for module, owners in metadata.packages_distributions().items()
        if any(canonicalize_name(owner) in distributions for owner in owners)
    }


def test_a_plain_install_imports_every_module() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    closure = installed_closure(project["project"]["dependencies"])
    allowed = sorted(_modules_of(closure) | {"workers", "tasks"})
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(allowed)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {}


def test_a_requirement_reached_only_through_another_packages_extra_is_not_counted() -> None:
    """The rule the test above relies on, on the case that broke: justext requires
    `lxml[html_clean]`, and only pyproject's own naming brings lxml_html_clean."""
    assert "lxml-html-clean" not in installed_closure(["justext"])
    assert "lxml-html-clean" in installed_closure(["justext", "lxml_html_clean"])
    assert "redis" in installed_closure(["celery[redis]"])  # extras spelled alike are followed


def _locked() -> dict[str, str]:
    """requirements.lock as {distribution: version} (`name==version ; marker` lines)."""
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        requirement = line.partition("#")[0].partition(";")[0].strip()
        if requirement:
            name, _, version = requirement.partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def test_the_lock_pins_every_declared_dependency_within_its_range() -> None:
    """A dependency added to pyproject.toml without `make lock` would be installed at
    whatever version is newest that day: this says to re-lock."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    pins = _locked()
    stale = []
    for line in declared:
        requirement = Requirement(line)
        version = pins.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            stale.append(f"{requirement} (locked: {version})")
    assert not stale, "run `make lock`: " + "; ".join(stale)


def test_make_and_the_image_install_from_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    dockerfile = (ROOT / "infra" / "Dockerfile").read_text(encoding="utf-8")
    install = next(line for line in makefile.splitlines() if "-e '.[dev,browser]'" in line)
    assert "-c $(LOCK)" in install and "LOCK := requirements.lock" in makefile
    assert "--quiet" not in install  # the first `make run` shows its progress
    assert re.search(r"COPY [^\n]*requirements\.lock", dockerfile)
    assert "pip install -c requirements.lock ." in dockerfile
