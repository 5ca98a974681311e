"""No import cycles in qrkt: its modules' imports of each other, wherever they are (at module
level, under ``TYPE_CHECKING``, or inside a function, where a cycle hides), form a graph
without cycles, so every module can be read after the modules it uses."""

from __future__ import annotations

import ast
from pathlib import Path

import qrkt

PACKAGE = Path(qrkt.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def qrkt_imports(tree: ast.Module, modules: set[str]) -> set[str]:
    """The qrkt modules a module imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found & modules


def test_qrkt_has_no_import_cycles() -> None:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    graph = {
        module_name(path): qrkt_imports(ast.parse(path.read_text()), modules) for path in paths
    }
    cycles, state = [], dict.fromkeys(graph, "new")

    def visit(module: str, stack: list[str]) -> None:
        state[module] = "open"
        for imported in sorted(graph[module]):
            if state[imported] == "open":
                cycles.append(" -> ".join([*stack[stack.index(imported) :], imported]))
            elif state[imported] == "new":
                visit(imported, [*stack, imported])
        state[module] = "done"

    for module in sorted(graph):
        if state[module] == "new":
            visit(module, [module])
    assert cycles == []
