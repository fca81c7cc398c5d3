"""The error-budget dashboard: one per stack with SLOs (uid ``<stack>-slos``), a row per
service, and per SLO its objective, the SLI and the error budget left over the period, the
burn rate over each recorded window against the tiers' factors, and which tiers fire.

Every query reads only the SLO recording rules (:func:`obscode.slo.names.window_rule`) and
``ALERTS``, so the dashboard shows exactly what the alerts judge (docs/slo-dashboard.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from grafanalib import core as g

from obscode.grafana.source import dashboard_json
from obscode.model.base import FieldError
from obscode.model.dashboards import UID_MAX_LENGTH
from obscode.model.slo import SLO
from obscode.slo.names import SLO_LABEL, TIER_LABEL, alert_name, window_rule, windows

if TYPE_CHECKING:
    from obscode.stack import Stack

#: Grafana's grid is 24 columns wide.
_WIDTH = 24
_STAT_HEIGHT = 5
_GRAPH_HEIGHT = 8
#: Colour of a factor line by the tier's action.
_ACTION_COLOURS = {"page": "red", "ticket": "orange"}
#: The budget left at or above which the budget stat turns from orange to green.
_BUDGET_HEALTHY = 0.25
#: Options grafanalib leaves out that Grafana 11's panel schemas require (Grafana's defaults),
#: so each panel's options validate against its upstream schema as written.
_STAT_OPTIONS = {"options": {"wideLayout": True, "showPercentChange": False, "percentChangeColorMode": "standard"}}
_TIMESERIES_OPTIONS = {"options": {"legend": {"showLegend": True}}}


def dashboards(stack: "Stack") -> list[dict[str, Any]]:
    """The stack's error-budget dashboard as dashboard JSON (built with grafanalib), or none for
    a stack without SLOs."""
    if not stack.slos:
        return []
    uid = f"{stack.name}-slos"
    if len(uid) > UID_MAX_LENGTH:
        raise FieldError("slos", f"the SLO dashboard's uid {uid!r} is {len(uid)} characters, over Grafana's "
                                 f"{UID_MAX_LENGTH}: shorten the stack name to at most "
                                 f"{UID_MAX_LENGTH - len('-slos')} characters")
    source = {"type": "prometheus", "uid": stack.grafana.prometheus_uid}
    panels: list[g.Panel] = []
    y = 0
    for service, slos in _by_service(stack.slos):
        panels.append(g.RowPanel(title=f"Service {service}", gridPos=g.GridPos(h=1, w=_WIDTH, x=0, y=y)))
        y += 1
        for slo in slos:
            panels += _slo_panels(slo, source, y)
            y += _STAT_HEIGHT + _GRAPH_HEIGHT
    title = stack.name[:1].upper() + stack.name[1:]
    return [dashboard_json(g.Dashboard(
        title=f"{title} SLOs", uid=uid, tags=["slo", stack.name],
        description="Error budgets of the stack's SLOs: objective, SLI and budget left over the period, "
                    "burn rate per window against the alerting tiers' factors, and the tiers firing.",
        timezone="browser", refresh="1m", editable=False, time=g.Time("now-7d", "now"), panels=panels,
    ))]


def _by_service(slos: list[SLO]) -> list[tuple[str, list[SLO]]]:
    """SLOs grouped by service, services and SLOs in the order the stack declares them."""
    groups: dict[str, list[SLO]] = {}
    for slo in slos:
        groups.setdefault(slo.service, []).append(slo)
    return list(groups.items())


def decimal_text(value: Decimal) -> str:
    """``value`` as PromQL and JSON read it exactly: plain digits, never an exponent."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def _selector(slo: SLO, window: str) -> str:
    return f'{window_rule(window)}{{{SLO_LABEL}="{slo.name}"}}'


def sli_expr(slo: SLO) -> str:
    """The share of good events over the period."""
    return f"1 - {_selector(slo, slo.period)}"


def budget_left_expr(slo: SLO) -> str:
    """The share of the period's error budget not yet spent (negative: overspent)."""
    return f"1 - {_selector(slo, slo.period)} / {decimal_text(slo.budget)}"


def burn_rate_expr(slo: SLO, window: str) -> str:
    """How many times faster than sustainable the budget burns over ``window``."""
    return f"{_selector(slo, window)} / {decimal_text(slo.budget)}"


def alert_state_expr(slo: SLO) -> str:
    """One series per firing tier of the SLO's alert, labelled by tier."""
    return (f'sum by ({TIER_LABEL}) (ALERTS{{alertname="{alert_name(slo)}", {SLO_LABEL}="{slo.name}", '
            f'alertstate="firing"}})')


def _target(expr: str, ref: str, source: dict[str, str], legend: str = "") -> g.Target:
    return g.Target(expr=expr, refId=ref, legendFormat=legend, datasource=source)


def _stat(title: str, expr: str, unit: str, pos: g.GridPos, source: dict[str, str], *, description: str,
          thresholds: list[g.Threshold], decimals: int | None = None, legend: str = "",
          no_value: str = "no data", text_mode: str = "auto", color_mode: str = "value") -> g.Stat:
    return g.Stat(
        title=title, description=description, dataSource=source, targets=[_target(expr, "A", source, legend)],
        format=unit, decimals=decimals, gridPos=pos, reduceCalc="lastNotNull", thresholds=thresholds,
        colorMode=color_mode, graphMode="none", textMode=text_mode, noValue=no_value, maxDataPoints=None,
        extraJson=_STAT_OPTIONS,
    )


def _steps(base: str, *levels: tuple[str, float]) -> list[g.Threshold]:
    """Threshold steps: ``base`` below the first level, then (colour, from value) pairs."""
    return [g.Threshold(base, 0, 0.0), *(g.Threshold(colour, index, value)
                                         for index, (colour, value) in enumerate(levels, start=1))]


def _percent(value: Decimal) -> str:
    return f"{decimal_text(value * 100)} %"


def _summary(slo: SLO) -> str:
    """The objective, the budget and the tiers, as markdown."""
    lines = [f"**{_percent(slo.objective / 100)}** of events good over **{slo.period}**; "
             f"error budget {_percent(slo.budget)} of events.", ""]
    if slo.description:
        lines += [slo.description, ""]
    if not slo.tiers:
        lines.append("No burn-rate tier alerts on this SLO.")
        return "\n".join(lines)
    lines += ["| tier | burn rate | windows | action |", "| --- | --- | --- | --- |"]
    for tier in slo.tiers:
        lines.append(f"| {tier.name} | {decimal_text(tier.factor(slo.period))} | "
                     f"{tier.long_window} / {tier.short_window} | {tier.action} ({tier.severity}) |")
    return "\n".join(lines)


def _slo_panels(slo: SLO, source: dict[str, str], y: int) -> list[g.Panel]:
    """The band of one SLO: its stats on one line, the burn-rate graph below."""
    period = slo.period
    width = _WIDTH // (4 if slo.tiers else 3)
    decimals = max(2, -slo.objective.normalize().as_tuple().exponent + 1)  # type: ignore[operator]

    def at(column: int) -> g.GridPos:
        return g.GridPos(h=_STAT_HEIGHT, w=width, x=column * width, y=y)

    panels: list[g.Panel] = [
        g.Text(title=f"{slo.name}: objective", content=_summary(slo), mode="markdown", gridPos=at(0)),
        _stat(f"{slo.name}: SLI over {period}", sli_expr(slo), "percentunit", at(1), source,
              description=f"The share of good events over the last {period}, from the recorded error ratio; "
                          f"red below the objective of {_percent(slo.objective / 100)}.",
              thresholds=_steps("red", ("green", float(slo.objective / 100))), decimals=decimals),
        _stat(f"{slo.name}: error budget left", budget_left_expr(slo), "percentunit", at(2), source,
              description=f"The share of the {period} error budget ({_percent(slo.budget)} of events) not yet "
                          "spent; negative: overspent.",
              thresholds=_steps("red", ("orange", 0.0), ("green", _BUDGET_HEALTHY)), decimals=1),
    ]
    if slo.tiers:
        panels.append(_stat(
            f"{slo.name}: tiers firing", alert_state_expr(slo), "none", at(3), source,
            description=f"The tiers of {alert_name(slo)} firing now; none: the budget burns at a rate no tier "
                        "alerts on.",
            thresholds=_steps("green", ("red", 1.0)), legend=f"{{{{{TIER_LABEL}}}}}", no_value="none firing",
            text_mode="name", color_mode="background"))
    panels.append(_burn_rate(slo, source, y + _STAT_HEIGHT))
    return panels


def _burn_rate(slo: SLO, source: dict[str, str], y: int) -> g.TimeSeries:
    recorded = windows(slo)
    refs = [chr(ord("A") + index) for index in range(len(recorded))]
    actions: dict[Decimal, str] = {}
    for tier in slo.tiers:  # a factor two tiers share is drawn once, red if either pages
        if actions.get(tier.factor(slo.period)) != "page":
            actions[tier.factor(slo.period)] = tier.action
    factors = sorted(actions.items())
    lines = ", ".join(f"{tier.name} {decimal_text(tier.factor(slo.period))}"
                      for tier in sorted(slo.tiers, key=lambda t: (-t.factor(slo.period), t.name)))
    return g.TimeSeries(
        title=f"{slo.name}: burn rate", dataSource=source,
        description=f"The error ratio over each window divided by the error budget: 1 spends exactly the "
                    f"budget over {slo.period}. " + (f"Lines: the tiers' factors ({lines})." if lines else ""),
        targets=[_target(burn_rate_expr(slo, window), ref, source, f"over {window}")
                 for ref, window in zip(refs, recorded)],
        unit="none", gridPos=g.GridPos(h=_GRAPH_HEIGHT, w=_WIDTH, x=0, y=y),
        thresholds=_steps("green", *((_ACTION_COLOURS[action], float(factor)) for factor, action in factors)),
        thresholdsStyleMode="dashed" if factors else "off", valueMin=0, legendDisplayMode="list",
        legendPlacement="bottom", tooltipMode="multi", maxDataPoints=None, extraJson=_TIMESERIES_OPTIONS,
    )
