"""alertmanager/alertmanager.yml, in the syntax of the Alertmanager the stack targets.

The models' fields are walked (obscode.emit.fields) into the current syntax (``matchers`` as
text, ``time_intervals``); every receiver integration writes ``send_resolved`` last. For an older
target, matchers become ``match``/``match_re`` maps (before 0.22) and ``time_intervals``
the top-level ``mute_time_intervals`` (before 0.24); obscode.versions has already refused
what such a target cannot express (negative matchers, active time intervals).
"""

from __future__ import annotations

#: The name of this output in ``Stack.outputs``.
FORMAT = "alertmanager"

from typing import Any

from pydantic import BaseModel

from obscode import paths
from obscode.emit import fields
from obscode.emit.yaml_out import dump, header_for
from obscode.model.alertmanager import AlertmanagerConfig, Matcher, Route
from obscode.stack import Stack
from obscode.versions import FEATURES, at_least


def data(model: BaseModel) -> dict[str, Any]:
    """Any Alertmanager model (a route, a receiver, an integration, ...) in the current syntax."""
    return fields.data(model, "Alertmanager", convert={Matcher: str})


def _send_resolved_last(receiver: dict[str, Any]) -> dict[str, Any]:
    """``receiver`` with each integration config's ``send_resolved`` moved after its other fields
    (inherited from obscode.model.integrations.Integration, it is declared first)."""
    out = dict(receiver)
    for name, configs in receiver.items():
        if name.endswith("_configs"):
            out[name] = [{**{k: v for k, v in c.items() if k != "send_resolved"},
                          **({"send_resolved": c["send_resolved"]} if "send_resolved" in c else {})}
                         for c in configs]
    return out


def _legacy_maps(matchers: list[Matcher], prefix: str) -> dict[str, dict[str, str]]:
    """``{prefix: {name: value}, prefix_re: {name: regex}}`` for positive matchers."""
    out: dict[str, dict[str, str]] = {}
    for matcher in matchers:
        key = prefix if matcher.op == "=" else f"{prefix}_re"
        out.setdefault(key, {})[matcher.name] = matcher.value
    return out


def _replace_matchers(rendered: dict[str, Any], key: str, matchers: list[Matcher], prefix: str) -> dict[str, Any]:
    """``rendered`` with ``key`` swapped, in place in the key order, for the legacy maps."""
    out: dict[str, Any] = {}
    for name, value in rendered.items():
        if name == key:
            out.update(_legacy_maps(matchers, prefix))
        else:
            out[name] = value
    return out


def _legacy_route(rendered: dict[str, Any], route: Route) -> dict[str, Any]:
    out = _replace_matchers(rendered, "matchers", route.matchers, "match")
    if route.routes:
        out["routes"] = [_legacy_route(r, child) for r, child in zip(out["routes"], route.routes)]
    return out


def render(config: AlertmanagerConfig, version: str) -> dict[str, Any]:
    """The configuration as Alertmanager ``version`` reads it."""
    out = data(config)
    out["receivers"] = [_send_resolved_last(r) for r in out["receivers"]]
    if not at_least(version, FEATURES["matchers"].since):
        out["route"] = _legacy_route(out["route"], config.route)
        rules = []
        for rendered, rule in zip(out.get("inhibit_rules", []), config.inhibit_rules):
            rendered = _replace_matchers(rendered, "source_matchers", rule.source_matchers, "source_match")
            rules.append(_replace_matchers(rendered, "target_matchers", rule.target_matchers, "target_match"))
        if rules:
            out["inhibit_rules"] = rules
    if "time_intervals" in out and not at_least(version, FEATURES["time_intervals"].since):
        out = {("mute_time_intervals" if k == "time_intervals" else k): v for k, v in out.items()}
    return out


def emit(stack: Stack) -> dict[str, bytes]:
    if stack.alertmanager is None:
        return {}
    return {paths.ALERTMANAGER_CONFIG: dump(render(stack.alertmanager, stack.alertmanager_version),
                                                  header_for(stack.name))}
