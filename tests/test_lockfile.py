"""The locks (requirements/runtime.txt, requirements/dev.txt) still say what pyproject.toml asks.

``make lock`` writes them with pip-compile; these checks catch a dependency added to or narrowed in
pyproject.toml without ``make lock``, and a lock edited by hand out of step with the other. They read
files only: no index, no network.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
RUNTIME = ROOT / "requirements" / "runtime.txt"
DEV = ROOT / "requirements" / "dev.txt"
BUILD_IN = ROOT / "requirements" / "build.in"

PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)(?P<rest>.*)$")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def entries(lock: Path) -> list[str]:
    """The lock's requirement lines, each with its continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", lock.read_text(encoding="utf-8"))
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def pins(lock: Path) -> dict[str, str]:
    found = {}
    for entry in entries(lock):
        match = PIN.match(entry)
        assert match, f"{lock.name}: not a pin: {entry[:80]}"
        found[canonicalize_name(match["name"])] = match["version"]
    return found


def wanted(requirements: list[str]) -> list[Requirement]:
    parsed = (Requirement(line) for line in requirements)
    return [req for req in parsed if req.marker is None or req.marker.evaluate({"extra": ""})]


def build_in() -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in BUILD_IN.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


@pytest.mark.parametrize("lock", [RUNTIME, DEV], ids=lambda p: p.name)
def test_every_entry_is_one_pin_with_hashes(lock: Path) -> None:
    # `pip install --require-hashes` refuses anything else; no index or find-links of one machine.
    for entry in entries(lock):
        match = PIN.match(entry)
        assert match, f"{lock.name}: not a pin: {entry[:80]}"
        assert HASH.search(match["rest"]), f"{lock.name}: {match['name']} has no sha256 hash"
        assert not HASH.sub("", match["rest"]).strip(), f"{lock.name}: {match['name']}: {match['rest'][:80]}"


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        (RUNTIME, PYPROJECT["project"]["dependencies"]),
        (DEV, PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["dev"]),
        (RUNTIME, PYPROJECT["build-system"]["requires"]),
        (RUNTIME, build_in()),
        (DEV, build_in()),
    ],
    ids=["runtime", "dev", "build-system", "build.in-runtime", "build.in-dev"],
)
def test_lock_satisfies_what_is_asked(lock: Path, requirements: list[str]) -> None:
    pinned = pins(lock)
    for req in wanted(requirements):
        name = canonicalize_name(req.name)
        assert name in pinned, f"{req} is not in {lock.name}: run `make lock`"
        assert req.specifier.contains(pinned[name], prereleases=True), (
            f"{lock.name} pins {name}=={pinned[name]}, outside {req}: run `make lock`"
        )


def test_dev_lock_holds_the_runtime_versions() -> None:
    runtime, dev = pins(RUNTIME), pins(DEV)
    differ = {name: (version, dev.get(name)) for name, version in runtime.items() if dev.get(name) != version}
    assert not differ, f"runtime.txt vs dev.txt: {differ}; run `make lock`"
