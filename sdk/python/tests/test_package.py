"""The package as users get it: pyproject metadata, the typing marker, an install from the source tree with pip
(offline), and test.sh's reading of pytest's summary line."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from _daemon import PACKAGE_ROOT

sys.path.insert(0, str(PACKAGE_ROOT))
from summary import parse  # noqa: E402


def test_pyproject_uses_a_standard_backend_and_httpx_as_its_only_runtime_dependency():
    project = tomllib.loads((PACKAGE_ROOT / "pyproject.toml").read_text())
    assert project["build-system"]["build-backend"] == "setuptools.build_meta"
    assert project["project"]["name"] == "hive"
    assert [d.split(">")[0].split("=")[0] for d in project["project"]["dependencies"]] == ["httpx"]
    assert (PACKAGE_ROOT / "src" / "hive" / "py.typed").exists()


def test_pip_installs_the_package_offline_with_its_typing_marker(tmp_path: Path):
    missing = [m for m in ("pip", "setuptools", "wheel") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed for {sys.executable}: cannot try `pip install ./sdk/python` offline")
    source = tmp_path / "src-copy"  # pip builds in the tree it is given: a copy keeps build/ out of the repository
    shutil.copytree(PACKAGE_ROOT, source, ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__"))
    target = tmp_path / "site"
    r = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", "--no-build-isolation", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert (target / "hive" / "py.typed").exists()
    assert (target / "hive" / "aio" / "__init__.py").exists()
    check = "import hive, hive.aio; print(hive.__file__); print(hive.Hive, hive.aio.AsyncHive, hive.Secret, hive.aio.Secret)"
    r = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(target)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(str(target / "hive"))


SUMMARIES = [
    ("==================== 10 passed in 1.20s ====================", (10, 0, 0)),
    ("=== 3 failed, 10 passed, 1 skipped, 2 errors in 5.12s (0:00:05) ===", (10, 5, 1)),
    ("1 error in 0.30s", (0, 1, 0)),
    ("2 skipped, 4 passed, 1 xfailed, 1 xpassed, 3 warnings in 9.00s", (5, 0, 3)),
    ("=== 7 passed, 2 deselected in 2.50s ===", (7, 0, 0)),
    ("========== no tests ran in 0.01s ==========", (0, 0, 0)),
    ("FAILED tests/test_x.py::test_y - AssertionError: 1 passed in 2s\n==== 1 failed, 1 passed in 3.1s ====", (1, 1, 0)),
    ("collected 3 items\nthe run was killed", None),
]


@pytest.mark.parametrize("output,expected", SUMMARIES, ids=range(len(SUMMARIES)))
def test_test_sh_reads_pytests_summary_line_in_any_order_and_subset(output, expected):
    assert parse(output) == expected
