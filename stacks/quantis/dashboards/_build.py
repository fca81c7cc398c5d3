"""Small grafanalib helpers shared by the Quantis dashboards: one look, fewer arguments."""

from __future__ import annotations

import attr
from grafanalib import core as g

from ..config import CONFIG

#: Grafana's grid is 24 columns wide.
FULL, HALF, THIRD, QUARTER = 24, 12, 8, 6


def grid(x: int, y: int, w: int, h: int = 8) -> g.GridPos:
    return g.GridPos(h=h, w=w, x=x, y=y)


def target(expr: str, legend: str = "", ref: str = "A", instant: bool = False, table: bool = False) -> g.Target:
    return g.Target(expr=expr, legendFormat=legend, refId=ref, instant=instant,
                    format="table" if table else "time_series")


def steps(*levels: tuple[str, float]) -> list[g.Threshold]:
    """Threshold steps: a green base, then (colour, from value) pairs in increasing order."""
    out = [g.Threshold("green", 0, 0.0)]
    out += [g.Threshold(color, index, float(value)) for index, (color, value) in enumerate(levels, start=1)]
    return out


def rising_steps(*levels: tuple[str, float], base: str = "red") -> list[g.Threshold]:
    """Steps for "higher is better": a ``base`` colour below the first level."""
    out = [g.Threshold(base, 0, 0.0)]
    out += [g.Threshold(color, index, float(value)) for index, (color, value) in enumerate(levels, start=1)]
    return out


def timeseries(title: str, targets: list[g.Target], unit: str, pos: g.GridPos, *, description: str = "",
               thresholds: list[g.Threshold] | None = None, draw_thresholds: bool = False,
               minimum: int | None = None, maximum: int | None = None) -> g.TimeSeries:
    return g.TimeSeries(
        title=title, description=description or None, targets=targets, unit=unit, gridPos=pos,
        thresholds=thresholds or [], thresholdsStyleMode="line+area" if draw_thresholds else "off",
        valueMin=minimum, valueMax=maximum, legendDisplayMode="list", legendPlacement="bottom",
        tooltipMode="multi", maxDataPoints=None,
    )


def stat(title: str, expr: str, unit: str, pos: g.GridPos, *, description: str = "",
         thresholds: list[g.Threshold] | None = None, legend: str = "") -> g.Stat:
    return g.Stat(
        title=title, description=description or None, targets=[target(expr, legend)], format=unit,
        gridPos=pos, reduceCalc="lastNotNull", thresholds=thresholds or steps(), colorMode="value",
        graphMode="area", maxDataPoints=None,
    )


def variable(name: str, label: str, query: str) -> g.Template:
    """A Prometheus query variable, multi-select with "All" (matching with ``=~``)."""
    return g.Template(name=name, label=label, query=query, dataSource=None, multi=True, includeAll=True,
                      allValue=".*", refresh=2, sort=1)


def job_and_instance(metric: str) -> list[g.Template]:
    """``job`` and ``instance`` variables over the targets exposing ``metric``; instance follows job."""
    return [
        variable("job", "Job", f"label_values({metric}, job)"),
        variable("instance", "Instance", f'label_values({metric}{{job=~"$job"}}, instance)'),
    ]


def dashboard(title: str, uid: str, tags: list[str], variables: list[g.Template], panels: list[g.Panel],
              *, description: str, time_from: str = CONFIG.dashboards.time_from) -> g.Dashboard:
    return g.Dashboard(
        title=title, uid=uid, description=description, tags=["quantis", *tags],
        timezone="browser", refresh=CONFIG.dashboards.refresh, editable=False,
        time=g.Time(time_from, "now"), templating=g.Templating(list=variables), panels=panels,
    )


@attr.s
class Heatmap(g.Panel):
    """Grafana's current heatmap panel (grafanalib's ``Heatmap`` writes the pre-10 options) over
    Prometheus buckets already counted (``calculate: false``, rows from the ``le`` label)."""

    unit = attr.ib(default="short")

    def to_json_data(self) -> dict:
        return self.panel_json({
            "type": "heatmap",
            "fieldConfig": {"defaults": {"unit": self.unit}},
            "options": {
                "calculate": False,
                "cellGap": 1,
                "color": {"mode": "scheme", "scheme": "Oranges", "scale": "exponential", "exponent": 0.5,
                          "steps": 64, "fill": "dark-orange", "reverse": False},
                "yAxis": {"axisPlacement": "left", "unit": self.unit},
                "rowsFrame": {"layout": "auto"},
                "tooltip": {"mode": "single", "yHistogram": False},
                "legend": {"show": True},
                "showValue": "auto",
                "filterValues": {"le": 1e-9},
            },
        })
