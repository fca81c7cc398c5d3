"""The Alertmanager configuration in every form a stack writes it: ``alertmanager.yml``
(output ``alertmanager``) and each AlertmanagerConfig object (output ``kubernetes``), read
back into ``alertmanager.yml``'s shape so routes, receivers and inhibit rules compare the
same way whatever the form, and a change both forms show alike is shown once."""

from __future__ import annotations

import re
from typing import Any

from obscode.emit.rendered import Rendered
from obscode.model.alertmanager import Matcher

BASE_FORM = "alertmanager"
KIND = "AlertmanagerConfig"
#: The AlertmanagerConfig ``spec`` fields read back here; the rest of the object is compared
#: as the object's own fields (obscode.diff.kubernetes).
SPEC_FIELDS = ("route", "receivers", "inhibitRules", "muteTimeIntervals")
_ROUTE_KEYS = {"receiver": "receiver", "groupBy": "group_by", "groupWait": "group_wait",
               "groupInterval": "group_interval", "repeatInterval": "repeat_interval", "continue": "continue",
               "muteTimeIntervals": "mute_time_intervals", "activeTimeIntervals": "active_time_intervals"}
_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake(key: str) -> str:
    """``sendResolved`` → ``send_resolved``, ``apiURL`` → ``api_url``: the operator's field
    names as Alertmanager spells them."""
    return _WORD.sub("_", key).lower()


def _snake_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {snake(str(k)): _snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake_keys(v) for v in value]
    return value


def _matcher(data: dict[str, Any]) -> str:
    op = data.get("matchType") or ("=~" if data.get("regex") else "=")
    return str(Matcher(name=str(data.get("name")), op=op, value=str(data.get("value") or "")))


def _route(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {_ROUTE_KEYS[k]: v for k, v in data.items() if k in _ROUTE_KEYS}
    if data.get("matchers"):
        out["matchers"] = [_matcher(m) for m in data["matchers"]]
    if data.get("routes"):
        out["routes"] = [_route(child) for child in data["routes"]]
    return out


def from_object(obj: dict[str, Any]) -> dict[str, Any]:
    """An AlertmanagerConfig's route tree, receivers, inhibit rules and time intervals as
    ``alertmanager.yml`` would hold them (the operator's namespace matcher is the operator's
    to add, so it is not part of the object and not added here)."""
    spec = obj.get("spec") or {}
    config: dict[str, Any] = {}
    if spec.get("route"):
        config["route"] = _route(spec["route"])
    if spec.get("receivers"):
        config["receivers"] = _snake_keys(spec["receivers"])
    if spec.get("inhibitRules"):
        config["inhibit_rules"] = [
            {**({"source_matchers": [_matcher(m) for m in rule["sourceMatch"]]} if rule.get("sourceMatch") else {}),
             **({"target_matchers": [_matcher(m) for m in rule["targetMatch"]]} if rule.get("targetMatch") else {}),
             **({"equal": list(rule["equal"])} if rule.get("equal") else {})}
            for rule in spec["inhibitRules"]]
    if spec.get("muteTimeIntervals"):
        config["time_intervals"] = _snake_keys(spec["muteTimeIntervals"])
    return config


def _objects(rendered: Rendered) -> dict[str, dict[str, Any]]:
    return {str((obj.get("metadata") or {}).get("name")): obj for obj in rendered.kubernetes_of_kind(KIND).values()}


def forms(base: Rendered, head: Rendered) -> dict[str, tuple[dict[str, Any], dict[str, Any], str]]:
    """``{output: (config before, config after, name of its settings)}``: ``alertmanager``
    when either side has ``alertmanager.yml``, ``kubernetes`` for the AlertmanagerConfig
    (``kubernetes <name>`` for each when the stack writes several)."""
    found: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {}
    old_am, new_am = base.alertmanager_config(), head.alertmanager_config()
    if old_am is not None or new_am is not None:
        found[BASE_FORM] = (old_am or {}, new_am or {}, "alertmanager.yml")
    old, new = _objects(base), _objects(head)
    names = sorted({*old, *new})
    for name in names:
        output = "kubernetes" if len(names) == 1 else f"kubernetes {name}"
        found[output] = (from_object(old[name]) if name in old else {},
                         from_object(new[name]) if name in new else {}, f"{KIND} {name}")
    return found
