"""Alerting and recording rules, compared by name, never by position, in every form the
stack writes them: ``prometheus/rules/``, the PrometheusRules' ``spec.groups``
(``kubernetes``), Thanos Ruler (``thanos``) and Mimir namespace files (``mimir``). A change
every form shows alike is shown once, naming the forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from obscode.diff.changes import Change, FieldChange, merge_outputs
from obscode.diff.threshold import threshold_change
from obscode.diff.values import field_changes, show
from obscode.emit.rendered import Rendered

_ALERT_FIELDS = ("expr", "for", "keep_firing_for")
#: The form a stack always had: changes only it shows name no output.
BASE_FORM = "prometheus"
Groups = dict[str, list[dict[str, Any]]]


def _forms(base: Rendered, head: Rendered) -> dict[str, tuple[Groups, Groups]]:
    """``{output: (groups by path before, after)}`` for every form either side has."""
    old, new = base.rule_groups_by_output(), head.rule_groups_by_output()
    return {output: (old.get(output, {}), new.get(output, {})) for output in {*old, *new}}


def _by_form(base: Rendered, head: Rendered, diff: Callable[[Groups, Groups], list[Change]],
             content: Callable[[Groups], dict[str, Any]]) -> list[Change]:
    """``diff`` in every form, merged; ``content`` (groups → objects by change name) tells
    an object a form starts carrying as the Prometheus form carries it."""
    forms = _forms(base, head)
    after = {output: content(new) for output, (_, new) in forms.items()}

    def same_as_base(change: Change, output: str) -> bool:
        carried = after.get(BASE_FORM, {}).get(change.name)
        return carried is not None and after[output].get(change.name) == carried

    return merge_outputs({output: diff(old, new) for output, (old, new) in forms.items()}, BASE_FORM, same_as_base)


def _rules(groups_by_path: Groups, kind: str) -> dict[str, dict[str, Any]]:
    """Rules of ``kind`` ("alert" or "record") keyed by a stable name; each remembers its group."""
    found: dict[str, dict[str, Any]] = {}
    for _path, groups in sorted(groups_by_path.items()):
        for group in groups:
            for rule in group.get("rules") or []:
                if kind not in rule:
                    continue
                key = str(rule[kind])
                if kind == "record" and rule.get("labels"):
                    key += "{" + ", ".join(f"{k}={v}" for k, v in sorted(rule["labels"].items())) + "}"
                if key in found:
                    key = f"{group.get('name')}/{key}"
                found[key] = {**rule, "group": group.get("name")}
    return found


def alert_labels(rendered: Rendered) -> dict[str, dict[str, str]]:
    """Static labels of every alert, by alert name, whatever form carries it (used to say
    which alerts a routing change affects)."""
    labels: dict[str, dict[str, str]] = {}
    forms = rendered.rule_groups_by_output()
    for output in sorted(forms, key=lambda o: o != BASE_FORM):
        for name, rule in _rules(forms[output], "alert").items():
            labels.setdefault(name, {k: str(v) for k, v in (rule.get("labels") or {}).items()})
    return labels


def diff_alerts(base: Rendered, head: Rendered) -> list[Change]:
    return _by_form(base, head, _alert_changes, lambda groups: _rules(groups, "alert"))


def _alert_changes(before: Groups, after: Groups) -> list[Change]:
    old, new = _rules(before, "alert"), _rules(after, "alert")
    changes = [Change("alerts", "removed", name, (FieldChange("expr", show(old[name]["expr"]), None),))
               for name in sorted(set(old) - set(new))]
    changes += [Change("alerts", "added", name, _summary(new[name])) for name in sorted(set(new) - set(old))]
    for name in sorted(set(old) & set(new)):
        fields = _rule_fields(old[name], new[name])
        if fields:
            changes.append(Change("alerts", "changed", name, tuple(fields)))
    return changes


def diff_recording_rules(base: Rendered, head: Rendered) -> list[Change]:
    return _by_form(base, head, _recording_changes, lambda groups: _rules(groups, "record"))


def _recording_changes(before: Groups, after: Groups) -> list[Change]:
    old, new = _rules(before, "record"), _rules(after, "record")
    changes = [Change("recording rules", "removed", name, (FieldChange("expr", show(old[name]["expr"]), None),))
               for name in sorted(set(old) - set(new))]
    changes += [Change("recording rules", "added", name, (FieldChange("expr", None, show(new[name]["expr"])),))
                for name in sorted(set(new) - set(old))]
    for name in sorted(set(old) & set(new)):
        fields = _rule_fields(old[name], new[name])
        if fields:
            changes.append(Change("recording rules", "changed", name, tuple(fields)))
    return changes


def diff_groups(base: Rendered, head: Rendered) -> list[Change]:
    """Group settings (interval, limit, and the form-specific ``partial_response_strategy``
    of Thanos and ``source_tenants`` of Mimir) and groups added or removed; not rule order."""
    return _by_form(base, head, _group_changes, _group_settings)


def _group_settings(groups_by_path: Groups) -> dict[str, Any]:
    return {str(g.get("name")): {k: v for k, v in g.items() if k not in ("name", "rules")}
            for groups in groups_by_path.values() for g in groups}


def _group_changes(before: Groups, after: Groups) -> list[Change]:
    old, new = _group_settings(before), _group_settings(after)
    changes = [Change("rule groups", "removed", n) for n in sorted(set(old) - set(new))]
    changes += [Change("rule groups", "added", n, tuple(field_changes({}, new[n]))) for n in sorted(set(new) - set(old))]
    for name in sorted(set(old) & set(new)):
        fields = field_changes(old[name], new[name])
        if fields:
            changes.append(Change("rule groups", "changed", name, tuple(fields)))
    return changes


def _summary(rule: dict[str, Any]) -> tuple[FieldChange, ...]:
    fields = [FieldChange(f, None, show(rule[f])) for f in _ALERT_FIELDS if f in rule]
    fields += [FieldChange(f"labels.{k}", None, show(v)) for k, v in sorted((rule.get("labels") or {}).items())]
    return tuple(fields)


def _rule_fields(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    fields: list[FieldChange] = []
    if old.get("group") != new.get("group"):
        fields.append(FieldChange("group", show(old.get("group")), show(new.get("group"))))
    if old.get("expr") != new.get("expr"):
        moved = threshold_change(str(old.get("expr")), str(new.get("expr")))
        if moved:
            before, after = moved
            fields.append(FieldChange("threshold", before.condition(), after.condition(), subject=after.subject))
        else:
            fields.append(FieldChange("expr", show(old.get("expr")), show(new.get("expr"))))
    for name in _ALERT_FIELDS[1:]:
        if old.get(name) != new.get(name):
            fields.append(FieldChange(name, _opt(old.get(name)), _opt(new.get(name))))
    for block in ("labels", "annotations"):
        fields += field_changes(old.get(block) or {}, new.get(block) or {}, block)
    return fields


def _opt(value: Any) -> str | None:
    return None if value is None else show(value)
