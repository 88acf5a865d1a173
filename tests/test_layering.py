"""No import loops: neither between did_ocr's packages nor between any two modules.

The walk reads the source with ``ast`` and counts every way a module gets
another one: ``import``/``from ... import`` at any depth (inside functions
too), ``importlib.import_module("...")``, and lazy references held as
strings (``"did_ocr.enhancers.did:make_did"`` in the enhancer registry,
``"did_ocr.cli.read"`` in the command table), which are imports in effect.
The ``cli`` package may import everything; nothing may import back.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TOP_LEVEL = ("did_ocr", "data_prep")


def module_files(root: Path, top_level: tuple[str, ...] = TOP_LEVEL) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the given top-level packages."""
    found = {}
    for top in top_level:
        for path in sorted((root / top).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _referenced_names(module: str, path: Path) -> set[str]:
    """Every dotted name the module imports or refers to as a lazy import string."""
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join([*base, *([node.module] if node.module else [])])
            else:
                prefix = node.module or ""
            names.add(prefix)
            names.update(f"{prefix}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "." in node.value:
            # a dotted module path, alone or as "module:attribute" (a bare "did_ocr" is a key, not an import)
            names.add(node.value.split(":")[0] if node.value.count(":") == 1 else node.value)
    return names


def import_graph(root: Path, top_level: tuple[str, ...] = TOP_LEVEL) -> dict[str, set[str]]:
    """Module -> the modules it imports (a ``from pkg import name`` counts as pkg.name when that is a module)."""
    modules = module_files(root, top_level)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for name in _referenced_names(module, path):
            if name in modules and name != module:
                graph[module].add(name)
    return graph


def package_of(module: str) -> str:
    """The unit packages are compared at: did_ocr.X (a subpackage or a top-level module), data_prep as a whole."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "did_ocr" else parts[0]


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = defaultdict(set)
    for module, targets in graph.items():
        packages[package_of(module)]  # every package is a node, even one without outgoing edges
        for target in targets:
            if package_of(target) != package_of(module):
                packages[package_of(module)].add(package_of(target))
    return dict(packages)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each sorted: the import loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def describe(loop: list[str], graph: dict[str, set[str]]) -> str:
    members = set(loop)
    return "; ".join(f"{a} -> {', '.join(sorted(graph[a] & members))}" for a in loop)


@pytest.fixture(scope="module")
def graph():
    return import_graph(REPO)


def test_no_two_packages_import_each_other(graph):
    packages = package_graph(graph)
    loops = cycles(packages)
    assert not loops, "import loops between packages: " + " | ".join(describe(loop, packages) for loop in loops)


def test_no_two_modules_import_each_other(graph):
    loops = cycles(graph)
    assert not loops, "import loops between modules: " + " | ".join(describe(loop, graph) for loop in loops)


def test_the_cli_is_on_top_and_nothing_imports_it(graph):
    packages = package_graph(graph)
    assert {"did_ocr.bench", "did_ocr.training", "did_ocr.enhancers", "did_ocr.data"} <= packages["did_ocr.cli"]
    assert [p for p, targets in packages.items() if "did_ocr.cli" in targets] == ["did_ocr.__main__"]


def test_the_walk_sees_function_level_imports_and_lazy_references(graph):
    # lazy registry strings, the command table and imports inside functions are all edges
    assert "did_ocr.enhancers.did" in graph["did_ocr.enhancers.catalog"]
    assert "did_ocr.cli.read" in graph["did_ocr.cli.main"]
    assert "did_ocr.training.preview" in graph["did_ocr.training.trainer"]  # imported inside Trainer.preview


def test_the_walk_finds_a_loop_hidden_in_a_function(tmp_path):
    pkg = tmp_path / "did_ocr"
    for sub in ("a", "b"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "x.py").write_text("from did_ocr.b.y import f\n")
    (pkg / "b" / "y.py").write_text("def f():\n    from ..a import x\n    return x\n")
    fake = import_graph(tmp_path, ("did_ocr",))
    assert cycles(fake) == [["did_ocr.a.x", "did_ocr.b.y"]]
    assert cycles(package_graph(fake)) == [["did_ocr.a", "did_ocr.b"]]
