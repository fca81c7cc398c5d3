"""Is what ``obscode generate`` writes for an imported stack semantically the input?

Each function compares one kind of input with the generated file and returns the
differences as readable lines (empty: the round trip holds). What counts as equal:

* rules: the same groups (matched by name; a renamed group compares under its input name), the
  same rules in order, expressions with equal parsed ASTs, ``for``/``keep_firing_for``/``interval``/
  ``query_offset`` as equal durations (``5m`` == ``300s``; absent == ``0s``), the same labels and annotations;
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

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    """Every group of an input rule file, PrometheusRule resources (and Kubernetes Lists of
    them) unwrapped, in order."""
    groups: list[dict[str, Any]] = []
    documents = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_LOADER))
    for document in documents:
        if isinstance(document, dict) and document.get("kind") == "List":
            documents.extend(document.get("items") or [])
            continue
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
    for key in ("interval", "query_offset"):
        if _ms(theirs.get(key)) != _ms(ours.get(key)):
            out.append(f"{label}: {key} {theirs.get(key)!r} became {ours.get(key)!r}")
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
        ours = (yaml.load(target.read_text(encoding="utf-8"), Loader=_LOADER) or {}).get("groups") or []
        renames = {g.name: g.original_name for g in match.groups}
        out.extend(rules_differences(original, ours, renames, where=str(path)))
    return out


def _diff(a: Any, b: Any, path: str, out: list[str], limit: int = 20) -> None:
    if len(out) >= limit or (type(a) is type(b) and a == b):
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


# --- Alertmanager ------------------------------------------------------------------

#: Alertmanager's send_resolved default per receiver kind.
def _integrations() -> tuple[dict[str, bool], tuple[str, ...]]:
    """Each receiver integration's ``send_resolved`` default, and the keys of every secret the
    integrations hold, read from the models (so a new integration compares without an edit)."""
    import typing

    from obscode.model.alertmanager import Receiver

    defaults: dict[str, bool] = {}
    secrets: set[str] = set()
    for name, info in Receiver.model_fields.items():
        if not name.endswith("_configs"):
            continue
        (model,) = typing.get_args(info.annotation) or (None,)
        field = getattr(model, "model_fields", {}).get("send_resolved")
        if field is not None:
            defaults[name] = bool(field.default)
        secrets.update(getattr(model, "secrets", None) or {})
    from obscode.model.alertmanager import AlertmanagerGlobal
    from obscode.model.secrets import SecretRef

    secrets.update(name for name, info in AlertmanagerGlobal.model_fields.items()
                   if SecretRef in typing.get_args(info.annotation) or info.annotation is SecretRef)
    return defaults, tuple(sorted(secrets))


_SEND_RESOLVED, _INTEGRATION_SECRETS = _integrations()
_SECRET_KEYS = ("api_url", "service_key", "routing_key", "auth_password", "smtp_auth_password",
                "slack_api_url", "password", "bearer_token", "credentials", *_INTEGRATION_SECRETS)
_DURATION_KEYS = ("group_wait", "group_interval", "repeat_interval", "resolve_timeout",
                  "scrape_interval", "scrape_timeout", "evaluation_interval", "timeout")


def _matcher_set(block: dict[str, Any], new: str, match: str, match_re: str) -> list[str]:
    from obscode.model.alertmanager import Matcher

    found = []
    for text in block.get(new) or []:
        try:
            found.append(str(Matcher.parse(str(text).strip().strip("{}"))))
        except Exception:  # an unparsable matcher compares as its text
            found.append(str(text))
    for key, op in ((match, "="), (match_re, "=~")):
        for name, value in (block.get(key) or {}).items():
            found.append(str(Matcher(name=str(name), op=op, value=str(value))))
    return sorted(found)


def _secrets(block: dict[str, Any]) -> dict[str, Any]:
    """A literal secret and a ``*_file`` reference compare equal: both become ``<secret>``."""
    out = {}
    for key, value in block.items():
        base = key[: -len("_file")] if key.endswith("_file") else key
        if base in _SECRET_KEYS or (base == "url" and key == "url_file"):
            out[base] = "<secret>"
        elif key in _DURATION_KEYS:
            out[key] = _ms(value)
        elif isinstance(value, dict):
            out[key] = _secrets(value)
        else:
            out[key] = value
    return out


def _route_canonical(route: dict[str, Any]) -> dict[str, Any]:
    out = _secrets({k: v for k, v in route.items() if k not in ("matchers", "match", "match_re", "routes")})
    out["matchers"] = _matcher_set(route, "matchers", "match", "match_re")
    out["continue"] = bool(route.get("continue", False))
    out["routes"] = [_route_canonical(r) for r in route.get("routes") or []]
    return out


def alertmanager_canonical(config: dict[str, Any]) -> dict[str, Any]:
    """An Alertmanager configuration in the form two equal configurations share."""
    receivers = {}
    for receiver in config.get("receivers") or []:
        entry = {}
        for kind, default in _SEND_RESOLVED.items():
            entry[kind] = [{"send_resolved": default, **_secrets(c)} for c in receiver.get(kind) or []]
        extra = {k: v for k, v in receiver.items() if k != "name" and k not in _SEND_RESOLVED}
        entry.update(extra)
        receivers[receiver.get("name")] = entry
    inhibit = [{"source": _matcher_set(r, "source_matchers", "source_match", "source_match_re"),
                "target": _matcher_set(r, "target_matchers", "target_match", "target_match_re"),
                "equal": sorted(r.get("equal") or [])} for r in config.get("inhibit_rules") or []]
    intervals = (config.get("time_intervals") or []) + (config.get("mute_time_intervals") or [])
    return {
        "global": _secrets(config.get("global") or {}),
        "route": _route_canonical(config.get("route") or {}),
        "receivers": receivers,
        "inhibit_rules": inhibit,
        "time_intervals": {t.get("name"): t.get("time_intervals") for t in intervals},
        "templates": list(config.get("templates") or []),
    }


def alertmanager_differences(original: dict[str, Any], generated: dict[str, Any]) -> list[str]:
    """Differences between an input alertmanager.yml and the generated one (secrets compared
    as present or not: the generated file references them by ``*_file``)."""
    return structural_differences(alertmanager_canonical(original), alertmanager_canonical(generated), "alertmanager")


# --- Prometheus ----------------------------------------------------------------------

_RELABEL_DEFAULTS = {"action": "replace", "separator": ";", "regex": "(.*)", "replacement": "$1"}
_JOB_DEFAULTS = {"metrics_path": "/metrics", "scheme": "http", "honor_labels": False}


def _job_canonical(job: dict[str, Any], global_: dict[str, Any]) -> dict[str, Any]:
    out = dict(job)
    if isinstance(out.get("authorization"), dict):
        auth = out.pop("authorization")
        out["bearer_token"] = auth.get("credentials_file", auth.get("credentials"))
    if "bearer_token_file" in out:
        out["bearer_token"] = out.pop("bearer_token_file")
    for key, default in _JOB_DEFAULTS.items():
        out.setdefault(key, default)
    out.setdefault("scrape_interval", global_["scrape_interval"])
    out.setdefault("scrape_timeout", global_["scrape_timeout"])
    for key in ("relabel_configs", "metric_relabel_configs"):
        out[key] = [{**_RELABEL_DEFAULTS, **r} for r in out.get(key) or []]
    out["kubernetes_sd_configs"] = [
        {**sd, "namespaces": (sd.get("namespaces") or {}).get("names", [])} for sd in out.get("kubernetes_sd_configs") or []]
    out["static_configs"] = [{"targets": s.get("targets") or [], "labels": s.get("labels") or {}}
                             for s in out.get("static_configs") or []]
    return _secrets(out)


def prometheus_canonical(config: dict[str, Any]) -> dict[str, Any]:
    """A Prometheus configuration in the form two equal ones share (``rule_files`` left out:
    an imported stack lists its own)."""
    given = config.get("global") or {}
    global_ = {"scrape_interval": given.get("scrape_interval", "1m"),
               "scrape_timeout": given.get("scrape_timeout", "10s"),
               "evaluation_interval": given.get("evaluation_interval", "1m"),
               "external_labels": given.get("external_labels") or {}}
    alerting = (config.get("alerting") or {}).get("alertmanagers") or []
    return {
        "global": _secrets(global_),
        "alertmanagers": [_secrets(a) for a in alerting],
        "scrape_configs": {j.get("job_name"): _job_canonical(j, global_) for j in config.get("scrape_configs") or []},
    }


def prometheus_differences(original: dict[str, Any], generated: dict[str, Any]) -> list[str]:
    """Differences between an input prometheus.yml and the generated one."""
    return structural_differences(prometheus_canonical(original), prometheus_canonical(generated), "prometheus")
