"""Alertmanager receivers (by name), inhibit rules (as a set) and the global block."""

from __future__ import annotations

from typing import Any

from obscode.diff.changes import Change, FieldChange
from obscode.diff.routes import alertmanager_config
from obscode.diff.values import field_changes, flatten, show
from obscode.model.alertmanager import Matcher


def diff_receivers(base: dict[str, bytes], head: dict[str, bytes]) -> list[Change]:
    old = {r["name"]: r for r in alertmanager_config(base).get("receivers") or []}
    new = {r["name"]: r for r in alertmanager_config(head).get("receivers") or []}
    changes = [Change("receivers", "removed", name) for name in sorted(set(old) - set(new))]
    for name in sorted(set(new) - set(old)):
        body = {k: v for k, v in new[name].items() if k != "name"}
        changes.append(Change("receivers", "added", name,
                              tuple(FieldChange(p, None, show(v)) for p, v in flatten(body).items())))
    for name in sorted(set(old) & set(new)):
        fields = field_changes(old[name], new[name])
        if fields:
            changes.append(Change("receivers", "changed", name, tuple(fields)))
    return changes


def _inhibit_key(rule: dict[str, Any]) -> str:
    def side(key: str, legacy: str, legacy_re: str) -> str:
        matchers = [str(Matcher.parse(m)) for m in rule.get(key) or []]
        matchers += [str(Matcher(name=k, op="=", value=str(v))) for k, v in (rule.get(legacy) or {}).items()]
        matchers += [str(Matcher(name=k, op="=~", value=str(v))) for k, v in (rule.get(legacy_re) or {}).items()]
        return "{" + ", ".join(sorted(matchers)) + "}"

    text = (f"{side('source_matchers', 'source_match', 'source_match_re')} mutes "
            f"{side('target_matchers', 'target_match', 'target_match_re')}")
    if rule.get("equal"):
        text += f" when equal: {', '.join(sorted(rule['equal']))}"
    return text


def diff_inhibit_rules(base: dict[str, bytes], head: dict[str, bytes]) -> list[Change]:
    old = {_inhibit_key(r) for r in alertmanager_config(base).get("inhibit_rules") or []}
    new = {_inhibit_key(r) for r in alertmanager_config(head).get("inhibit_rules") or []}
    return ([Change("inhibit rules", "removed", k) for k in sorted(old - new)]
            + [Change("inhibit rules", "added", k) for k in sorted(new - old)])


def diff_alertmanager_settings(base: dict[str, bytes], head: dict[str, bytes]) -> list[Change]:
    """``global``, ``time_intervals``, ``templates``: everything but route, receivers, inhibit rules."""
    skip = ("route", "receivers", "inhibit_rules")
    old = {k: v for k, v in alertmanager_config(base).items() if k not in skip}
    new = {k: v for k, v in alertmanager_config(head).items() if k not in skip}
    if "time_intervals" in old:
        old["time_intervals"] = {t["name"]: t for t in old["time_intervals"]}
    if "time_intervals" in new:
        new["time_intervals"] = {t["name"]: t for t in new["time_intervals"]}
    fields = field_changes(old, new)
    return [Change("alertmanager", "changed", "alertmanager.yml", tuple(fields))] if fields else []
