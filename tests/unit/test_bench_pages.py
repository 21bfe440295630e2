"""`bench pages`: its report lines and its arguments (the browser part runs in tests/e2e/test_bench_pages.py)."""
import pytest

from webapp import cli
from webapp.bench import pages as bench_pages


def test_summary_reports_the_median_and_every_run_in_milliseconds():
    report = bench_pages.summarise("augment", "press Resample", [310.04, 120.0, 250.26, 90.0, 400.0])
    assert report == {"benchmark": "pages", "page": "augment", "action": "press Resample", "median_ms": 250.3,
                      "runs_ms": [310.0, 120.0, 250.3, 90.0, 400.0]}


def test_a_report_line_names_the_page_the_action_and_the_median():
    line = bench_pages.format_line(bench_pages.summarise("draw", "lift the pen", [200.0, 300.0]))
    assert line.split()[:4] == ["draw", "lift", "the", "pen"] and "250 ms" in line and "runs: 200, 300" in line


def test_actions_alternate_so_every_run_changes_the_result():
    pick = bench_pages.alternate("LeNet-5", "VGG16")
    assert [pick(run) for run in range(4)] == ["LeNet-5", "VGG16", "LeNet-5", "VGG16"]


def test_every_page_of_the_lab_is_measured():
    from webapp.ui.navigation import PAGES

    assert set(bench_pages.PAGE_NAMES) == {entry.url_path for entry in PAGES}


@pytest.mark.parametrize("args", [["--runs", "0"], ["--runs", "five"], ["--pages", "home,shop"],
                                  ["--url", "localhost"], ["--url", "ftp://127.0.0.1:8501"]])
def test_bad_arguments_exit_2_with_one_line(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["bench", "pages", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("python -m webapp bench pages")


def test_good_arguments_reach_the_benchmark(monkeypatch, capsys):
    seen = {}

    def fake(pages, runs, url, log):
        seen.update(pages=pages, runs=runs, url=url)
        yield bench_pages.summarise(pages[0], bench_pages.FIRST_VISIT, [5.0])

    monkeypatch.setattr(bench_pages, "pages_benchmark", fake)
    assert cli.main(["bench", "pages", "--runs", "3", "--pages", "Augment", "--url", "http://127.0.0.1:1",
                     "--json"]) == 0
    assert seen == {"pages": ("augment",), "runs": 3, "url": "http://127.0.0.1:1"}
    assert '"median_ms": 5.0' in capsys.readouterr().out
