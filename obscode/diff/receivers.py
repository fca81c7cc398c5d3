"""Alertmanager receivers (by name), inhibit rules (as a set) and the global block, in each
form of the configuration (alertmanager.yml, the AlertmanagerConfig read back into its shape)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from obscode.diff import alertmanager_forms
from obscode.diff.changes import Change, FieldChange, merge_outputs
from obscode.diff.values import field_changes, flatten, show
from obscode.emit.rendered import Rendered
from obscode.model.alertmanager import Matcher

Config = dict[str, Any]


def _by_form(base: Rendered, head: Rendered, diff: Callable[[Config, Config, str], list[Change]]) -> list[Change]:
    return merge_outputs({output: diff(old, new, name)
                          for output, (old, new, name) in alertmanager_forms.forms(base, head).items()},
                         alertmanager_forms.BASE_FORM)


def diff_receivers(base: Rendered, head: Rendered) -> list[Change]:
    return _by_form(base, head, _receiver_changes)


def _receiver_changes(before: Config, after: Config, _name: str) -> list[Change]:
    old = {r["name"]: r for r in before.get("receivers") or []}
    new = {r["name"]: r for r in after.get("receivers") or []}
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


def diff_inhibit_rules(base: Rendered, head: Rendered) -> list[Change]:
    return _by_form(base, head, _inhibit_changes)


def _inhibit_changes(before: Config, after: Config, _name: str) -> list[Change]:
    old = {_inhibit_key(r) for r in before.get("inhibit_rules") or []}
    new = {_inhibit_key(r) for r in after.get("inhibit_rules") or []}
    return ([Change("inhibit rules", "removed", k) for k in sorted(old - new)]
            + [Change("inhibit rules", "added", k) for k in sorted(new - old)])


def diff_alertmanager_settings(base: Rendered, head: Rendered) -> list[Change]:
    """``global``, ``time_intervals``, ``templates``: everything but route, receivers, inhibit rules."""
    return _by_form(base, head, _setting_changes)


def _setting_changes(before: Config, after: Config, name: str) -> list[Change]:
    skip = ("route", "receivers", "inhibit_rules")
    old = {k: v for k, v in before.items() if k not in skip}
    new = {k: v for k, v in after.items() if k not in skip}
    if "time_intervals" in old:
        old["time_intervals"] = {t["name"]: t for t in old["time_intervals"]}
    if "time_intervals" in new:
        new["time_intervals"] = {t["name"]: t for t in new["time_intervals"]}
    fields = field_changes(old, new)
    return [Change("alertmanager", "changed", name, tuple(fields))] if fields else []
