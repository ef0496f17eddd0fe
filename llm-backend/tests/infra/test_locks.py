"""The hashed locks (scripts/lock.sh) agree with pyproject.toml: every requirement is met by a
pin, every pin has hashes, and the lock holds nothing that pyproject.toml no longer asks for
(its entries all lead back, through uv's `# via` notes, to a requirement of the project).
When this fails after editing pyproject.toml: run scripts/lock.sh."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from config import BACKEND_DIR
from tests.infra.conftest import REPO_ROOT

PROJECT = "tutor-llm-backend (pyproject.toml)"
LOCKS = {
    "requirements.txt": [],
    "requirements-dev.txt": ["dev"],
    "requirements-local.txt": ["local"],
}


@dataclass
class Pin:
    requirement: Requirement
    hashes: int = 0
    via: set[str] = field(default_factory=set)


def _parse(lock: str) -> list[Pin]:
    pins: list[Pin] = []
    in_via = False
    for line in (BACKEND_DIR / lock).read_text().splitlines():
        if line and not line.startswith((" ", "#")):
            pins.append(Pin(Requirement(line.rstrip(" \\"))))
            in_via = False
        elif "--hash=sha256:" in line:
            pins[-1].hashes += 1
        elif match := re.fullmatch(r"\s+# via(?: (.+))?", line):
            in_via = True
            if match.group(1):
                pins[-1].via.add(match.group(1))
        elif in_via and (match := re.fullmatch(r"\s+#   (.+)", line)):
            pins[-1].via.add(match.group(1))
    return pins


def _project_requirements(extras: list[str]) -> list[Requirement]:
    project = tomllib.loads((BACKEND_DIR / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] + [
        r for e in extras for r in project["optional-dependencies"][e]
    ]
    return [Requirement(r) for r in listed]


def _pinned_version(pin: Pin) -> str:
    (specifier,) = pin.requirement.specifier
    assert specifier.operator == "==", pin.requirement
    return specifier.version


@pytest.mark.parametrize("lock, extras", LOCKS.items())
def test_every_project_requirement_is_met_by_a_hashed_pin(lock, extras):
    pins = _parse(lock)
    by_name: dict[str, list[Pin]] = {}
    for pin in pins:
        by_name.setdefault(canonicalize_name(pin.requirement.name), []).append(pin)

    assert all(pin.hashes >= 1 for pin in pins), [str(p.requirement) for p in pins if not p.hashes]
    for requirement in _project_requirements(extras):
        candidates = by_name.get(canonicalize_name(requirement.name), [])
        assert candidates, f"{requirement} is not in {lock}: run scripts/lock.sh"
        for pin in candidates:
            assert requirement.specifier.contains(_pinned_version(pin), prereleases=True), (
                f"{lock} pins {pin.requirement} but pyproject.toml asks {requirement}"
            )


@pytest.mark.parametrize("lock, extras", LOCKS.items())
def test_lock_holds_only_what_the_project_needs(lock, extras):
    pins = _parse(lock)
    names = {canonicalize_name(p.requirement.name) for p in pins}
    roots = {canonicalize_name(p.requirement.name) for p in pins if PROJECT in p.via}
    wanted = {canonicalize_name(r.name) for r in _project_requirements(extras)}

    assert roots == wanted, f"{lock} is stale: run scripts/lock.sh"
    for pin in pins:
        parents = {canonicalize_name(v.split(" ")[0]) for v in pin.via if not v.startswith("-")}
        parents.discard(canonicalize_name("tutor-llm-backend"))
        assert PROJECT in pin.via or parents & names, (
            f"{pin.requirement.name} in {lock} is needed by nothing the project requires"
        )


def test_shared_pins_are_the_same_in_every_lock():
    versions: dict[tuple[str, str], set[str]] = {}
    for lock in LOCKS:
        for pin in _parse(lock):
            key = (canonicalize_name(pin.requirement.name), str(pin.requirement.marker))
            versions.setdefault(key, set()).add(_pinned_version(pin))

    assert {key: v for key, v in versions.items() if len(v) > 1} == {}


def test_every_install_goes_through_a_hashed_lock():
    bootstrap = (REPO_ROOT / "scripts" / "bootstrap.sh").read_text()
    joined = bootstrap.replace("\\\n", " ").splitlines()
    pip_installs = [line for line in joined if "pip install" in line]

    assert pip_installs, "bootstrap.sh installs nothing?"
    for line in pip_installs:
        assert "--require-hashes" in line or "--no-deps -e ." in line, line
    # `sam build` installs the Lambda's dependencies from CodeUri's requirements.txt: the lock.
    assert _parse("requirements.txt")
