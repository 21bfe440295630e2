"""The README's two set-up commands are what a fresh machine runs, and CI runs the second one verbatim."""
import re

from tests.conftest import PROJECT_ROOT


def readme_commands() -> list[str]:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Set up and run (two commands)"):]
    section = section[:section.index("\n## ", 5)]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_the_readme_has_two_commands_that_each_make_their_own_virtual_environment():
    app, tests = readme_commands()
    for command in (app, tests):
        assert command.startswith("python3 -m venv .venv && .venv/bin/python -m pip install -r requirements")
    assert app.endswith("streamlit run app.py") and tests.endswith("-m pytest")
    assert "&& .venv/bin/ruff check . && .venv/bin/mypy && " in tests, "the checkers run before the tests"


def test_ci_runs_the_readmes_test_command():
    _, tests = readme_commands()
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in ci
