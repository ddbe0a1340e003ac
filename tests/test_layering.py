"""Data flows one way: scrapers -> transforms -> warehouse -> flows; no package imports a layer above it."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# What each package may import from the project's own packages.
ALLOWED = {
    "scrapers": {"scrapers"},
    "transforms": {"transforms"},
    "warehouse": {"warehouse", "transforms"},
    "flows": {"flows", "scrapers", "transforms", "warehouse"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ALLOWED)


def test_no_package_imports_a_layer_above_it() -> None:
    wrong = []
    for package, allowed in ALLOWED.items():
        for path in (REPO / package).rglob("*.py"):
            for name in _imports(path) - allowed:
                wrong.append(f"{path.relative_to(REPO)} imports {name}")
    assert wrong == []


def test_transforms_stay_pure() -> None:
    """No network, DuckDB or Prefect inside transforms."""
    banned = {"requests", "urllib3", "duckdb", "prefect", "socket", "http"}
    wrong = []
    for path in (REPO / "transforms").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            wrong += [f"{path.name}: {m}" for m in mods if m.split(".")[0] in banned]
    assert wrong == []
