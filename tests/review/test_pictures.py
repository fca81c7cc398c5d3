"""Dashboard layout pictures: SVGs compared with golden files, PNGs rendered by real Chromium.
Regenerate the golden files after an intended change with UPDATE_GOLDEN=1."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner

from obscode.cli import main
from obscode.layout.pictures import write_pictures
from obscode.layout.svg import dashboard_svg
from tests.conftest import require_tool
from tests.review.edits import BOARD, base_tree, edit_json, panel

GOLDEN = Path(__file__).parent / "golden"


def _moved_and_changed(tree: dict[str, bytes]) -> dict[str, bytes]:
    def change(data: dict) -> None:
        panel(data, "Drift score")["gridPos"].update(x=0, y=14)
        panel(data, "Predictions per second")["targets"][0]["expr"] = "sum(rate(model_predictions_total[1m]))"
        data["panels"].remove(panel(data, "p95 prediction latency"))
        data["panels"].append({"id": 5, "type": "gauge", "title": "Worst MAPE", "gridPos": {"x": 8, "y": 8, "w": 16, "h": 6},
                               "targets": [{"refId": "A", "expr": 'max(model_prediction_error{metric_type="mape"})'}]})
    return edit_json(tree, BOARD, change)


def _assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file (UPDATE_GOLDEN=1 to accept)"


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_layout_svg_matches_golden() -> None:
    board = json.loads(base_tree()[BOARD])
    _assert_golden("model-overview.svg", dashboard_svg(board))


def test_before_after_svgs_highlight_moved_changed_added_and_removed_panels(tmp_path: Path) -> None:
    written = write_pictures(base_tree(), _moved_and_changed(base_tree()), tmp_path, png=False)

    assert [p.name for p in written["model-overview"]] == [
        "model-overview.before.svg", "model-overview.after.svg", "model-overview.svg"]
    before = (tmp_path / "model-overview.before.svg").read_text()
    after = (tmp_path / "model-overview.after.svg").read_text()
    _assert_golden("model-overview.before.svg", before)
    _assert_golden("model-overview.after.svg", after)
    assert before.count('class="panel changed"') == 2 and before.count('class="panel removed"') == 1
    assert after.count('class="panel changed"') == 2 and after.count('class="panel added"') == 1


def test_unchanged_dashboard_gets_one_picture_only(tmp_path: Path) -> None:
    written = write_pictures(base_tree(), base_tree(), tmp_path, png=False)
    assert [p.name for p in written["model-overview"]] == ["model-overview.svg"]


def test_pictures_are_rendered_to_png_at_the_svg_size(tmp_path: Path) -> None:
    require_tool("chromium")
    written = write_pictures(base_tree(), _moved_and_changed(base_tree()), tmp_path)
    pngs = [p for p in written["model-overview"] if p.suffix == ".png"]
    assert [p.name for p in pngs] == ["model-overview.before.png", "model-overview.after.png", "model-overview.png"]
    assert _png_size(tmp_path / "model-overview.after.png") == (992, 732)


def test_missing_chromium_is_reported_with_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSCODE_CHROMIUM", str(tmp_path / "no-such-chromium"))
    monkeypatch.chdir(tmp_path)
    svg = tmp_path / "board.svg"
    svg.write_text(dashboard_svg(json.loads(base_tree()[BOARD])))
    from obscode.layout.png import svg_to_png
    from obscode.errors import UsageError

    with pytest.raises(UsageError, match=r"cannot run Chromium at .*no-such-chromium .*pass --no-png"):
        svg_to_png(svg, tmp_path / "board.png")


def test_diff_pictures_option_links_before_after_pictures_in_the_markdown(tmp_path: Path) -> None:
    """`obscode diff --pictures` in a throwaway git repository."""
    from tests.review.repo import commit_all, init_repo, write_tree

    repo = init_repo(tmp_path / "repo")
    write_tree(repo / "generated" / "quantis", base_tree())
    commit_all(repo, "base")
    write_tree(repo / "generated" / "quantis", _moved_and_changed(base_tree()))

    result = CliRunner().invoke(main, ["diff", "--base", "HEAD", "--no-png", "--pictures", str(tmp_path / "pics"),
                                       "--generated", str(repo / "generated")])

    assert result.exit_code == 0, result.output
    assert f"  - picture: [{tmp_path}/pics/quantis/model-overview.after.svg]" in result.output
    assert (tmp_path / "pics" / "quantis" / "model-overview.before.svg").is_file()
