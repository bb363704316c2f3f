"""The layering check that ``make lint`` runs (``lint-imports``, contracts in pyproject.toml)
really fails on a violation.

Each case copies the three packages into a temporary folder, adds one forbidden import to
the copy and runs ``lint-imports`` there with the project's own pyproject.toml; the copy
shadows the installed packages through PYTHONPATH. The untouched copy passes, so each
failure is the added import's doing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "commands", "analytics")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = "bot -> commands -> analytics, never upwards"
ROLES = "analytics roles depend only downwards"
CYCLES = "no import cycles between sibling modules"


def copy_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def add_import(tree: Path, module: str, imported: str, *, in_function: bool = False) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    text = path.read_text()
    if in_function:  # the lazy import that used to hide a cycle
        text += f"\n\ndef _sneaked_in() -> None:\n    import {imported}  # noqa: F401\n"
    else:
        text += f"\nimport {imported}  # noqa: E402, F401\n"
    path.write_text(text)


def test_the_tree_as_it_is_keeps_every_contract(tmp_path: Path) -> None:
    result = lint(copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in (LAYERS, ROLES, CYCLES):
        assert f"{contract} KEPT" in result.stdout
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("contract", "importer", "imported"),
    [
        (LAYERS, "analytics.metrics.periods", "commands.reply"),
        (LAYERS, "analytics.server.baskets", "bot.render"),
        (LAYERS, "commands.parse", "bot.render"),
        (ROLES, "analytics.errors", "analytics.data.symbols"),
        (ROLES, "analytics.data.symbols", "analytics.metrics.periods"),
        (ROLES, "analytics.metrics.periods", "analytics.charts.figures"),
        (ROLES, "analytics.metrics.periods", "analytics.server.baskets"),
        (ROLES, "analytics.charts.figures", "analytics.server.baskets"),
        (ROLES, "analytics.server.baskets", "analytics.services"),
    ],
)
def test_an_upward_import_breaks_the_build(
    tmp_path: Path, contract: str, importer: str, imported: str
) -> None:
    tree = copy_tree(tmp_path)
    add_import(tree, importer, imported)
    result = lint(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{contract} BROKEN" in result.stdout
    assert f"- {importer} -> {imported} " in result.stdout


@pytest.mark.parametrize(
    ("package", "importer", "imported"),
    [
        ("bot", "bot.render", "bot.runner"),  # bot.runner imports bot.render
        ("commands", "commands.spec", "commands.registry"),
        ("analytics.data", "analytics.data.symbols", "analytics.data.market"),
    ],
)
def test_a_cycle_hidden_in_a_function_breaks_the_build(
    tmp_path: Path, package: str, importer: str, imported: str
) -> None:
    tree = copy_tree(tmp_path)
    add_import(tree, importer, imported, in_function=True)
    result = lint(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{CYCLES} BROKEN" in result.stdout
    assert f"No cycles are allowed in {package}." in result.stdout
