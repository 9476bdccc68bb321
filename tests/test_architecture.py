"""The layout ARCHITECTURE.md promises: one-way imports, readers only through
``crossmask.products``, no import circles (function-level imports included), tables
defined once, and modules and functions of a readable size."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Source folder of each installed package (setup.cfg's package_dir).
FOLDERS = {"crossmask": "src/crossmask", "crossmask.srf": "srf", "crossmask.products": "products",
           "crossmask.harmonize": "harmonize", "crossmask.models": "models",
           "crossmask.pipelines": "pipelines"}
#: What each folder may import from crossmask (besides itself and the package root's
#: modules: errors, atomic, documents, fingerprint, classes).
ALLOWED = {
    "srf": set(),
    "products": {"srf"},
    "harmonize": {"srf", "products"},
    "models": set(),
    "pipelines": {"srf", "products", "harmonize", "models"},
}
ROOT_MODULES = {"crossmask", "crossmask.errors", "crossmask.atomic", "crossmask.documents",
                "crossmask.fingerprint", "crossmask.classes"}
#: Stages of the pipelines in import order: a stage imports only earlier ones.  Reporting
#: only formats tables and figures it is given, so evaluation (and the demo) use it; batch
#: runs inference (and harmonisation) over many products, and evaluation over many scenes.
STAGES = ("training", "inference", "reporting", "batch", "evaluation", "demo")


def _modules() -> dict[str, Path]:
    out = {}
    for package, folder in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if package == "crossmask" and parts and parts[0] in FOLDERS.values():
                continue
            out[".".join([package, *parts])] = path
    return out


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Every crossmask module imported anywhere in a file (function bodies included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names]
            found |= {n for n in names if n in MODULES} or {node.module}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m.startswith("crossmask")}


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _folder(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def test_every_module_is_found():
    assert "crossmask.products.datasets.biome" in MODULES
    assert "crossmask.pipelines.evaluation.run" in MODULES
    assert len(MODULES) > 60


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_imports_flow_one_way(folder):
    bad = []
    for module, imported in GRAPH.items():
        if _folder(module) != folder:
            continue
        for target in imported:
            other = _folder(target)
            if target in ROOT_MODULES or other in (folder, *ALLOWED[folder]):
                continue
            bad.append(f"{module} imports {target}")
    assert not bad, bad


def test_readers_only_through_the_products_package():
    bad = [f"{m} imports {t}" for m, imported in GRAPH.items()
           if _folder(m) in ("harmonize", "models", "pipelines")
           for t in imported if t.startswith("crossmask.products.")
           and not t.startswith("crossmask.products.writers")]
    assert not bad, bad


def test_pipeline_stages_import_only_earlier_stages():
    def stage(module: str) -> int | None:
        parts = module.split(".")
        if len(parts) > 2 and parts[1] == "pipelines" and parts[2] in STAGES:
            return STAGES.index(parts[2])
        return None

    bad = [f"{m} imports {t}" for m, imported in GRAPH.items() for t in imported
           if stage(m) is not None and stage(t) is not None and stage(t) > stage(m)]
    assert not bad, bad


def test_no_import_circles():
    """Depth-first search over the module graph, function-level imports included."""
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(GRAPH.get(node, ())):
            if nxt not in GRAPH or nxt == node or node.startswith(nxt + "."):
                continue  # a module's own package: Python loads it first, not a circle
            if state.get(nxt) == 1:
                cycles.append(" → ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert not cycles, cycles


@pytest.mark.parametrize("pattern, home", [
    (r'^METHODS\b.*=', "harmonize/adjustment.py"),
    (r'^SCHEMES\b.*=', "src/crossmask/classes.py"),
    (r'^CLASS_CODES\b.*=', "src/crossmask/classes.py"),
    (r'^PEERS\b.*=', "pipelines/evaluation/peers.py"),
    (r'^BIOME_CODES\b.*=', "products/datasets/biome.py"),
    (r'^CLOUDSEN12_CODES\b.*=', "products/datasets/cloudsen12.py"),
    (r'"(none|ols)", "(ols|multivariate)"', "harmonize/adjustment.py"),
    (r'"binary", "three", "four"', None),
    (r'"ukis-csmask", "s2cloudless"', None),
    (r'\b(128|192): "', "products/datasets/biome.py"),
])
def test_tables_are_defined_once(pattern, home):
    found = [str(p.relative_to(ROOT)) for p in MODULES.values()
             if re.search(pattern, _code(p), re.M)]
    assert found == ([home] if home else []), found


def _code(path: Path) -> str:
    """A module's source with its docstrings blanked (examples in them are not tables)."""
    lines = path.read_text().splitlines()
    for node in ast.walk(ast.parse("\n".join(lines))):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            for i in range(body[0].lineno - 1, body[0].end_lineno):
                lines[i] = ""
    return "\n".join(lines)


def test_modules_and_functions_stay_readable():
    long_files = [f"{p.relative_to(ROOT)} ({n})" for p in [*MODULES.values(),
                                                          *(ROOT / "benchmarks").glob("*.py")]
                  if (n := len(p.read_text().splitlines())) > 420]
    long_functions = []
    for path in [*MODULES.values(), *(ROOT / "benchmarks").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > 60:
                    long_functions.append(f"{path.relative_to(ROOT)}:{node.name} ({length})")
    assert not long_files and not long_functions, (long_files, long_functions)
