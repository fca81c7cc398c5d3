"""`obscode preview` against a live Prometheus, loaded in real headless Chromium: the page
raises no console errors and every panel with queries draws its data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from obscode.cli import main
from tests.review.servers import Browser, has_samples, wait_until

FIXTURES = Path(__file__).parent / "fixtures"
PANEL_STATES = "Array.from(document.querySelectorAll('.panel[data-queries]')).map(p => [p.querySelector('h2').firstChild.textContent.trim(), p.dataset.state || '', p.querySelectorAll('path.series').length + p.querySelectorAll('.stat').length])"


def _generated_with_board(tmp_path: Path) -> Path:
    root = tmp_path / "generated"
    boards = root / "demo" / "grafana" / "dashboards"
    boards.mkdir(parents=True)
    shutil.copy(FIXTURES / "preview_board.json", boards / "preview-demo.json")
    return root


def test_preview_page_shows_every_panel_with_data_and_no_console_errors(
        tmp_path: Path, prometheus: str, browser: Browser) -> None:
    # rate() needs two samples in its window: wait until Prometheus has scraped itself enough.
    wait_until(lambda: has_samples(prometheus, "rate(prometheus_http_requests_total[1m]) > 0"),
               "two scrapes of Prometheus' own request counter")
    out = tmp_path / "preview"
    result = CliRunner().invoke(main, ["preview", "demo", "--prometheus", prometheus, "--range", "5m",
                                       "--out", str(out), "--generated", str(_generated_with_board(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "preview-demo: 3/3 panels with queries have data" in result.output

    browser.open((out / "preview-demo.html").as_uri())
    wait_until(lambda: browser.evaluate("document.body.dataset.ready") == "true", "the preview script to finish")
    states = browser.evaluate(PANEL_STATES)

    assert browser.console_errors() == []
    assert {title: state for title, state, _ in states} == {
        "Targets up": "data", "Series in head": "data", "HTTP requests per second": "data"}
    assert all(drawn >= 1 for _, _, drawn in states), states


def test_preview_page_without_prometheus_lays_out_panels_and_lists_queries(tmp_path: Path, browser: Browser) -> None:
    out = tmp_path / "preview"
    result = CliRunner().invoke(main, ["preview", "demo", "--out", str(out),
                                       "--generated", str(_generated_with_board(tmp_path))])
    assert result.exit_code == 0, result.output

    browser.open((out / "preview-demo.html").as_uri())
    wait_until(lambda: browser.evaluate("document.body.dataset.ready") == "true", "the preview script to finish")

    assert browser.console_errors() == []
    assert {state for _, state, _ in browser.evaluate(PANEL_STATES)} == {"offline"}
    assert browser.evaluate("document.querySelectorAll('.panel').length") == 5
    assert "index.html" in {p.name for p in out.iterdir()}


def test_preview_marks_a_failing_query_as_an_error_in_its_panel(tmp_path: Path, prometheus: str, browser: Browser) -> None:
    root = _generated_with_board(tmp_path)
    board_file = root / "demo" / "grafana" / "dashboards" / "preview-demo.json"
    board = json.loads(board_file.read_text())
    board["panels"][2]["targets"][0]["expr"] = "sum(rate(prometheus_http_requests_total[5m])"
    board_file.write_text(json.dumps(board))
    out = tmp_path / "preview"
    result = CliRunner().invoke(main, ["preview", "demo", "--prometheus", prometheus, "--out", str(out),
                                       "--generated", str(root)])
    assert result.exit_code == 0, result.output

    browser.open((out / "preview-demo.html").as_uri())
    wait_until(lambda: browser.evaluate("document.body.dataset.ready") == "true", "the preview script to finish")

    states = {title: state for title, state, _ in browser.evaluate(PANEL_STATES)}
    assert states["Series in head"] == "error"
    assert "parse error" in browser.evaluate("document.querySelector('.message.error').textContent")


def test_the_console_capture_sees_script_errors(tmp_path: Path, browser: Browser) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<script>console.error('boom'); undefinedFunction();</script>")
    browser.open(page.as_uri())
    errors = wait_until(lambda: len(browser.console_errors()) >= 2 and browser.console_errors(), "two errors")
    assert "boom" in errors[0] and "undefinedFunction" in errors[1]


def _board_with_non_finite_panels(tmp_path: Path) -> Path:
    root = _generated_with_board(tmp_path)
    board_file = root / "demo" / "grafana" / "dashboards" / "preview-demo.json"
    board = json.loads(board_file.read_text())
    # p99 of a path with no requests is NaN; a ratio over zero is +Inf.
    board["panels"][2]["targets"][0]["expr"] = "vector(0) / 0"
    board["panels"][3]["targets"][0]["expr"] = "vector(1) / 0"
    board["panels"][3]["type"] = "stat"
    board_file.write_text(json.dumps(board))
    return root


def test_preview_draws_a_page_whose_series_are_nan_and_inf(tmp_path: Path, prometheus: str, browser: Browser) -> None:
    wait_until(lambda: has_samples(prometheus, "up"), "a scrape of Prometheus itself")
    out = tmp_path / "preview"
    result = CliRunner().invoke(main, ["preview", "demo", "--prometheus", prometheus, "--out", str(out),
                                       "--generated", str(_board_with_non_finite_panels(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "preview-demo: 1/3 panels with queries have data" in result.output
    assert "NaN" not in (out / "preview-demo.html").read_text().split('id="obscode-data">')[1].split("</script>")[0]

    browser.open((out / "preview-demo.html").as_uri())
    wait_until(lambda: browser.evaluate("document.body.dataset.ready") == "true", "the preview script to finish")

    assert browser.console_errors() == []
    states = {title: state for title, state, _ in browser.evaluate(PANEL_STATES)}
    assert states == {"Targets up": "data", "Series in head": "nodata", "HTTP requests per second": "nodata"}
    assert "only NaN or Inf" in browser.evaluate("document.querySelector('.message.nodata').textContent")


def test_preview_fails_when_a_page_script_breaks(tmp_path: Path, prometheus: str, monkeypatch: Any) -> None:
    from obscode.preview import page

    # The encoding before non-finite values became null: a literal NaN the browser cannot parse.
    monkeypatch.setattr(page, "_json_for_script", lambda data: json.dumps(data, sort_keys=True))
    result = CliRunner().invoke(main, ["preview", "demo", "--prometheus", prometheus, "--out", str(tmp_path / "p"),
                                       "--generated", str(_board_with_non_finite_panels(tmp_path))])
    assert result.exit_code == 1, result.output
    assert "error: preview-demo.html: its script failed:" in result.output
    assert "JSON" in result.output
    assert "demo: 1 of 1 page(s)" in result.output and "do not draw" in result.output
