"""Every page in the navigation exists and calls `ensure_app_navigation()` before anything else.

A page opened by its own URL on a fresh server runs as a plain script (webapp/ui/navigation.py explains why);
a widget drawn before `ensure_app_navigation()` would then belong to the wrong page and the shared sidebar
would be missing. Reading the pages' source with `ast` catches that without running Streamlit."""
from __future__ import annotations

import ast

import pytest

from tests.conftest import PROJECT_ROOT
from webapp.ui.navigation import PAGES


def first_statement_problem(source: str) -> str | None:
    """Why the first statement after the docstring and imports is not a bare `ensure_app_navigation()`;
    None when it is."""
    body = ast.parse(source).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # the module docstring
    rest = [statement for statement in body if not isinstance(statement, (ast.Import, ast.ImportFrom))]
    if not rest:
        return "it has no statement after its imports"
    first = rest[0]
    if any(isinstance(statement, (ast.Import, ast.ImportFrom)) and statement.lineno > first.lineno
           for statement in body):
        return f"line {first.lineno} runs before the last import; imports come first, then ensure_app_navigation()"
    call = first.value if isinstance(first, ast.Expr) else None
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "ensure_app_navigation" \
            and not call.args and not call.keywords:
        return None
    return f"its first statement (line {first.lineno}) is `{ast.unparse(first).splitlines()[0]}`"


@pytest.mark.parametrize("entry", PAGES, ids=[entry.script for entry in PAGES])
def test_every_navigation_page_exists_and_calls_ensure_app_navigation_first(entry):
    path = PROJECT_ROOT / entry.script
    assert path.is_file(), f"{entry.title}: the navigation lists {entry.script}, but there is no such file"
    problem = first_statement_problem(path.read_text(encoding="utf-8"))
    assert problem is None, f"{entry.script} ({entry.title}) must call ensure_app_navigation() right after " \
                            f"its docstring and imports, but {problem}"


def test_every_page_file_is_in_the_navigation():
    listed = {entry.script for entry in PAGES}
    files = {path.relative_to(PROJECT_ROOT).as_posix() for path in (PROJECT_ROOT / "pages").glob("*.py")}
    assert not files - listed, f"pages not in webapp/ui/navigation.py's PAGES (unreachable): {sorted(files - listed)}"


@pytest.mark.parametrize("source, expected", [
    ('"""Doc."""\nimport streamlit as st\nfrom x import y\n\nensure_app_navigation()\nst.title("A")\n', None),
    ('import streamlit as st\nst.title("A")\nensure_app_navigation()\n', "is `st.title('A')`"),
    ('import streamlit as st\nensure_app_navigation\n', "is `ensure_app_navigation`"),
    ('import streamlit as st\nensure_app_navigation(1)\n', "is `ensure_app_navigation(1)`"),
    ('import a\nensure_app_navigation()\nimport b\n', "runs before the last import"),
    ('"""Only a docstring."""\nimport a\n', "no statement after its imports"),
])
def test_the_guard_names_what_comes_first(source, expected):
    problem = first_statement_problem(source)
    if expected is None:
        assert problem is None
    else:
        assert expected in problem


@pytest.mark.slow
def test_app_py_runs_outside_a_streamlit_runtime_without_error(tmp_path):
    """A spawned training process may re-run the parent's `__main__` (Streamlit makes app.py `__main__` while a
    script runs, and the swap in `worker._no_main_script` can race a script starting): app.py must not crash
    there, or the child dies and the job fails with "The training process stopped unexpectedly"."""
    import os
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", "import runpy; runpy.run_path('app.py')"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "CONVNET_LAB_HOME": str(tmp_path)})
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-1500:]
