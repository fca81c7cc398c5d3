"""Running ``obscode check`` on a throwaway stack whose dashboards are given as Python source."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from obscode.cli import main

PRELUDE = '''
import grafanalib.core as g
from obscode import PrometheusConfig, Stack


def ts(title, expr="sum(rate(http_requests_total[5m]))", x=0, y=0, w=12, h=8, **kw):
    return g.TimeSeries(title=title, targets=[g.Target(expr=expr, refId="A")],
                        gridPos=g.GridPos(h=h, w=w, x=x, y=y), unit="reqps", **kw)


def dash(uid="good", panels=None, variables=(), title="Good"):
    return g.Dashboard(title=title, uid=uid, panels=panels if panels is not None else [ts("Rate")],
                       templating=g.Templating(list=list(variables)))

'''


def check(tmp_path: Path, dashboards: str, stack_args: str = "") -> tuple[int, list[dict[str, Any]]]:
    """Exit code and problems of ``obscode check`` on a stack with ``dashboards`` (a Python list
    expression); ``stack_args`` adds keyword arguments to the Stack, e.g. ``grafana_version="11.0"``.
    Every dashboard finding must name a source line."""
    extra = f", {stack_args}" if stack_args else ""
    source = PRELUDE + (f"stack = Stack(name='cases', prometheus=PrometheusConfig(), "
                        f"dashboards={textwrap.dedent(dashboards)}{extra})\n")
    path = tmp_path / "cases.py"
    path.write_text(source)
    result = CliRunner().invoke(main, ["check", str(path), "--no-tools", "--format", "json"])
    problems = json.loads(result.stdout[: result.stdout.rindex("]") + 1])
    unplaced = [p for p in problems if p["file"].startswith("grafana/dashboards/") and not p["source"]]
    assert unplaced == [], "every dashboard finding names the line of the object at fault"
    return result.exit_code, problems


def problems_of(problems: list[dict[str, Any]], check_id: str) -> list[dict[str, Any]]:
    return [p for p in problems if p["check"] == check_id]
