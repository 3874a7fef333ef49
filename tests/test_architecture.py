"""The layout rules of the package, checked on its source (an AST walk, no import).

One room per concept (docs/architecture.md): no import circles, diagnostics never import the
trainer, arm names are tested only in the arm registry, no private name crosses a module
boundary, and modules, functions and ``DiceMMM`` stay short enough to read.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pymc_dice"
MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 120
MAX_DICEMMM_LINES = 450


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(), filename=str(path)) for name, path in MODULES.items()}


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not MODULES[module].name == "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imports(module: str) -> list[tuple[str, str | None, int]]:
    """``(imported module, imported name or None, line)`` for every import in ``module``."""
    out = []
    for node in ast.walk(TREES[module]):
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            for a in node.names:
                sub = f"{target}.{a.name}"
                out.append(
                    (sub, None, node.lineno) if sub in MODULES else (target, a.name, node.lineno)
                )
    return out


def _internal_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for m in MODULES:
        for target, _, _ in _imports(m):
            if target in MODULES and target != m and not m.startswith(target + "."):
                graph[m].add(target)
    return graph


def test_there_is_something_to_check():
    assert "pymc_dice.mmm" in MODULES and len(MODULES) > 20


def test_no_import_circles():
    graph = _internal_graph()
    # package __init__ files only re-export: an edge into a package means its __init__
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycles.append([*stack[stack.index(n) :], n])
            elif n not in state:
                visit(n, [*stack, n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycles, f"import circles: {cycles[:3]}"


def test_diagnostics_never_import_the_trainer():
    bad = [
        (m, line)
        for m in MODULES
        if m.startswith("pymc_dice.diagnostics")
        for target, _, line in _imports(m)
        if target == "pymc_dice.train" or target.startswith("pymc_dice.train.")
    ]
    assert not bad, f"diagnostics import pymc_dice.train at {bad}"


def _is_arm_name(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id == "arm") or (
        isinstance(node, ast.Attribute) and node.attr == "arm"
    )


def _is_string_test(node: ast.Compare) -> bool:
    values = [node.left, *node.comparators]
    has_str = any(
        isinstance(v, ast.Constant)
        and isinstance(v.value, str)
        or isinstance(v, ast.Tuple | ast.List | ast.Set)
        and any(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in v.elts)
        for v in values
    )
    return has_str and any(_is_arm_name(v) for v in values)


def test_arm_names_are_tested_only_in_the_registry():
    bad = []
    for m, tree in TREES.items():
        if m == "pymc_dice.arms":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and _is_string_test(node):
                bad.append(f"{m}:{node.lineno}")
    assert not bad, f"`arm ==` / `arm in` string tests outside pymc_dice.arms: {bad}"


def test_no_private_name_crosses_a_module_boundary():
    bad = []
    for m in MODULES:
        for target, name, line in _imports(m):
            if not target.startswith("pymc_dice") or name is None:
                continue
            private = name.startswith("_") and not name.startswith("__")
            if private and target != m:
                bad.append(f"{m}:{line} imports {target}.{name}")
    assert not bad, "private names imported across modules:\n" + "\n".join(bad)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_and_functions_are_short(module):
    path = MODULES[module]
    n_lines = len(path.read_text().splitlines())
    assert n_lines <= MAX_MODULE_LINES, f"{module} has {n_lines} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(TREES[module])
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{module}: functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_dicemmm_is_a_thin_facade():
    cls = next(
        n
        for n in TREES["pymc_dice.mmm"].body
        if isinstance(n, ast.ClassDef) and n.name == "DiceMMM"
    )
    assert cls.end_lineno - cls.lineno + 1 <= MAX_DICEMMM_LINES


def test_no_citation_of_files_outside_the_repository():
    bad = [m for m, p in MODULES.items() if "DESIGN.md" in p.read_text()]
    assert not bad, f"modules cite DESIGN.md (not part of the repository): {bad}"


def test_the_simulator_module_is_not_shadowed():
    import importlib
    import inspect

    import pymc_dice

    sim = importlib.import_module("pymc_dice.simulate")
    assert inspect.ismodule(pymc_dice.simulate) and pymc_dice.simulate is sim
    assert callable(sim.sparse_target) and callable(sim.simulate)
