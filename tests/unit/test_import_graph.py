"""No two modules of `webapp` import each other, not even through a function-level import.

A cycle hidden in a function (`def f(): from webapp.x import y`) still ties two modules together: neither can
be read, tested or moved without the other. So the graph counts every `webapp.*` import in a file, wherever
it stands, and must have no cycle.
"""
from __future__ import annotations

import ast
from pathlib import Path

import webapp

PACKAGE_ROOT = Path(webapp.__file__).parent


def module_name(path: Path) -> str:
    """`webapp/ui/cached.py` -> `webapp.ui.cached`; a package's `__init__.py` is the package itself."""
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE_ROOT.rglob("*.py"))}


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The `webapp` modules that `name` imports anywhere in its file (module level or inside a function)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # a relative import: climb from this module's package
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:  # `from webapp import jobs` imports the module webapp.jobs
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in known else base)
    return {module for module in found if module in known and module != name}


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {name: imported_modules(name, path, known) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules, the first repeated last, or None (a depth-first search)."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(module: str) -> list[str] | None:
        path.append(module)
        on_path.add(module)
        for target in sorted(graph.get(module, ())):
            if target in on_path:
                return path[path.index(target):] + [target]
            if target not in done:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        on_path.discard(module)
        done.add(module)
        return None

    for module in sorted(graph):
        if module not in done:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def test_webapp_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "webapp modules import each other: " + " -> ".join(cycle or [])


def test_the_walk_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    """The checker itself: a lazy import inside a function and a relative import both count as edges."""
    path = tmp_path / "a.py"
    path.write_text("from . import b\n\ndef late():\n    from webapp.c import thing\n    import webapp.d\n")
    known = {"webapp.a", "webapp.b", "webapp.c", "webapp.d"}
    assert imported_modules("webapp.a", path, known) == {"webapp.b", "webapp.c", "webapp.d"}
    assert find_cycle({"webapp.a": {"webapp.b"}, "webapp.b": {"webapp.c"}, "webapp.c": {"webapp.a"}}) == \
        ["webapp.a", "webapp.b", "webapp.c", "webapp.a"]
    assert find_cycle({"webapp.a": {"webapp.b"}, "webapp.b": set()}) is None
