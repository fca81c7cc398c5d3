"""Is what ``obscode generate`` writes for an imported stack semantically the input?

Each function compares one kind of input with the generated file and returns the
differences as readable lines (empty: the round trip holds). What counts as equal:

* rules: the same groups in order (a renamed group compares under its input name), the same
  rules in order, expressions with equal parsed ASTs, ``for``/``keep_firing_for``/``interval``
  as equal durations (``5m`` == ``300s``; absent == ``0s``), the same labels and annotations;
* Alertmanager: the same route tree, receivers and inhibit rules, with ``match``/``match_re``
  equal to the ``matchers`` they mean, durations compared as durations, Alertmanager's
  defaults filled in, and a secret written literally equal to a ``*_file`` reference;
* Prometheus: the same global settings and scrape jobs, likewise;
* dashboards: the generated JSON equals obscode's own normalisation of the input
  (:func:`obscode.grafana.normalise.normalise`), so what normalisation changes is not counted
  here; :func:`normalisation_changes` lists it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import promql_parser
import yaml

from obscode.grafana.normalise import DatasourceIndex, normalise
from obscode.model.dashboards import GrafanaSettings
from obscode.model.duration import parse_duration


def _ast(expr: Any) -> str:
    try:
        return repr(promql_parser.parse(str(expr)))
    except (ValueError, TypeError):
        return f"unparsable: {expr!r}"


def _ms(value: Any) -> int:
    if value is None or value == "":
        return 0
    try:
        return parse_duration(str(value))
    except ValueError:
        return -1


def _texts(value: Any) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in (value or {}).items()}


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    out = {"alert": rule.get("alert"), "record": rule.get("record"), "expr": _ast(rule.get("expr")),
           "labels": _texts(rule.get("labels"))}
    if "alert" in rule:
        out.update({"for": _ms(rule.get("for")), "keep_firing_for": _ms(rule.get("keep_firing_for")),
                    "annotations": _texts(rule.get("annotations"))})
    return out


def rule_groups(path: Path) -> list[dict[str, Any]]:
    """Every group of an input rule file, PrometheusRule resources unwrapped, in order."""
    groups: list[dict[str, Any]] = []
    for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if not isinstance(document, dict):
            continue
        if document.get("kind") == "PrometheusRule":
            document = document.get("spec") or {}
        groups.extend(document.get("groups") or [])
    return groups


def rules_differences(original: list[dict[str, Any]], generated: list[dict[str, Any]],
                      renames: dict[str, str] | None = None, where: str = "") -> list[str]:
    """Differences between input groups and generated groups, matched by name; ``renames``
    maps a generated group name to its input name."""
    renames = renames or {}
    prefix = f"{where}: " if where else ""
    ours_by_name = {renames.get(g.get("name"), g.get("name")): g for g in generated}
    theirs_names = [g.get("name") for g in original]
    out = [f"{prefix}group {name!r} is not in the output" for name in theirs_names if name not in ours_by_name]
    out += [f"{prefix}group {g.get('name')!r} is not in the input" for name, g in ours_by_name.items()
            if name not in theirs_names]
    for theirs in original:
        ours = ours_by_name.get(theirs.get("name"))
        if ours is not None:
            out.extend(_group_differences(theirs, ours, f"{prefix}group {theirs.get('name')!r}"))
    return out


def _group_differences(theirs: dict[str, Any], ours: dict[str, Any], label: str) -> list[str]:
    out = []
    if _ms(theirs.get("interval")) != _ms(ours.get("interval")):
        out.append(f"{label}: interval {theirs.get('interval')!r} became {ours.get('interval')!r}")
    if (theirs.get("limit") or 0) != (ours.get("limit") or 0):
        out.append(f"{label}: limit {theirs.get('limit')!r} became {ours.get('limit')!r}")
    rules_in, rules_out = theirs.get("rules") or [], ours.get("rules") or []
    if len(rules_in) != len(rules_out):
        out.append(f"{label}: {len(rules_in)} rule(s) in the input, {len(rules_out)} generated")
    for position, (a, b) in enumerate(zip(rules_in, rules_out), start=1):
        ra, rb = _rule(a), _rule(b)
        for key in ra:
            if ra[key] != rb.get(key):
                shown = (a.get(key), b.get(key)) if key != "expr" else ("(AST)", "(a different AST)")
                out.append(f"{label} rule {position} ({a.get('alert') or a.get('record')}): {key} "
                           f"{shown[0]!r} became {shown[1]!r}")
    return out


def rules_round_trip(paths: list[Path], generated: Path) -> list[str]:
    """Differences between input rule files and the rule files ``obscode generate`` wrote under
    ``generated`` (a stack's output folder), naming files and groups as the import did."""
    from obscode.importers import rules
    from obscode.importers.problems import Collector

    imported = {f.source: f for f in rules.read_files(paths, Collector())}
    out = []
    for path in paths:
        original = rule_groups(path)
        match = imported.get(path)
        if match is None:
            out.extend(f"{path}: group {g.get('name')!r} is not in the output" for g in original)
            continue
        target = generated / "prometheus" / "rules" / f"{match.name}.yml"
        if not target.is_file():
            out.append(f"{path}: {target} was not generated")
            continue
        ours = (yaml.safe_load(target.read_text(encoding="utf-8")) or {}).get("groups") or []
        renames = {g.name: g.original_name for g in match.groups}
        out.extend(rules_differences(original, ours, renames, where=str(path)))
    return out


def _diff(a: Any, b: Any, path: str, out: list[str], limit: int = 20) -> None:
    if len(out) >= limit:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in b:
                out.append(f"{path}.{key}: missing from the output")
            elif key not in a:
                out.append(f"{path}.{key}: added by the output")
            else:
                _diff(a[key], b[key], f"{path}.{key}", out, limit)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} item(s) in the input, {len(b)} in the output")
        for index, (x, y) in enumerate(zip(a, b)):
            _diff(x, y, f"{path}[{index}]", out, limit)
    elif a != b or type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        out.append(f"{path}: {a!r} became {b!r}")


def default_datasources() -> DatasourceIndex:
    """The datasources a stack with default Grafana settings provisions."""
    return DatasourceIndex(tuple(GrafanaSettings().datasources(logs_index="logs", scrape_interval="1m")))


def dashboard_differences(original: dict[str, Any], generated: dict[str, Any],
                          datasources: DatasourceIndex | None = None) -> list[str]:
    """Differences between the generated dashboard and obscode's normalisation of the input."""
    expected = normalise(original, datasources or default_datasources())
    out: list[str] = []
    _diff(json.loads(json.dumps(expected)), generated, "dashboard", out)
    return out


def normalisation_changes(original: dict[str, Any], datasources: DatasourceIndex | None = None) -> list[str]:
    """What obscode's normalisation changes in a dashboard (not counted as a round-trip difference)."""
    out: list[str] = []
    _diff(original, normalise(original, datasources or default_datasources()), "dashboard", out, limit=10**6)
    return out


def structural_differences(original: Any, generated: Any, where: str = "") -> list[str]:
    """Every difference between two canonical structures (see the Alertmanager and Prometheus helpers)."""
    out: list[str] = []
    _diff(original, generated, where or "config", out, limit=10**6)
    return out
