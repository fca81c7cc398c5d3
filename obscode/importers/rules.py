"""``obscode import rules``: Prometheus rule files and PrometheusRule custom resources ->
``rules.py`` of ``AlertRule``/``RecordingRule`` calls, one ``RuleFile`` per input file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from obscode.errors import DefinitionError
from obscode.importers import pycode
from obscode.importers.problems import Collector
from obscode.importers.yaml_lines import Mapping, Sequence, load_documents, report_duplicates
from obscode.model.duration import parse_duration
from obscode.model.rules import AlertRule, RecordingRule, RuleFile, RuleGroup, parse_promql

#: Fields of a rule and of a group that Prometheus reads.
RULE_FIELDS = ("alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations")
GROUP_FIELDS = ("name", "interval", "limit", "rules", "query_offset", "labels", "partial_response_strategy",
                "source_tenants")
#: Group fields of newer Prometheus releases that obscode's RuleGroup does not model yet.
_UNMODELLED_GROUP_FIELDS = {"labels": "Prometheus 3.0"}
_PROMETHEUS_RULE = ("monitoring.coreos.com/v1", "PrometheusRule")
_FILE_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_.-]+")


@dataclass
class ImportedGroup:
    name: str
    #: The group's name in the input (differs from ``name`` after a rename).
    original_name: str
    group: RuleGroup
    data: Mapping


@dataclass
class ImportedRuleFile:
    """One input file: the RuleFile it becomes and the groups in input order."""

    source: Path
    name: str
    groups: list[ImportedGroup] = field(default_factory=list)

    def rule_file(self) -> RuleFile:
        return RuleFile(name=self.name, groups=[g.group for g in self.groups])


def _string_map(data: Mapping, key: str, file: str, report: Collector, what: str) -> dict[str, str] | None:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        report.error(file, data.line_of(key), f"{what} must be a mapping of names to values")
        return None
    out: dict[str, str] = {}
    ok = True
    for name in value:
        text = value.text(name)
        if isinstance(text, (dict, list)) or not isinstance(name, str):
            report.error(file, value.line_of(name), f"{what} {name!r} must have a text value, not a list or mapping")
            ok = False
            continue
        out[name] = "" if text is None else text
    return out if ok else None


def _duration(data: Mapping, key: str, file: str, report: Collector, what: str) -> tuple[bool, str | None]:
    text = data.text(key)
    if text is None:
        return True, None
    try:
        parse_duration(text)
    except ValueError as exc:
        report.error(file, data.line_of(key), f"{what}, field {key!r}: {exc}")
        return False, None
    return True, text


def _model_error(exc: DefinitionError, data: Mapping, file: str, report: Collector) -> None:
    key = (exc.field or "").split(".")[0]
    key = {"for_": "for"}.get(key, key)
    line = data.line_of(key) if key in data else data.line
    report.error(file, line, f"{exc.obj}{f', field {exc.field!r}' if exc.field else ''}: {exc.message}")


def _rule(data: Any, line: int, file: str, report: Collector) -> AlertRule | RecordingRule | None:
    if not isinstance(data, Mapping):
        report.error(file, line, "a rule must be a mapping with alert or record, and expr")
        return None
    ok = True
    for key in data:
        if key not in RULE_FIELDS:
            report.error(file, data.line_of(key), f"unknown rule field {key!r}; a rule takes: {', '.join(RULE_FIELDS)}")
            ok = False
    is_alert, is_record = "alert" in data, "record" in data
    if is_alert == is_record:
        report.error(file, data.line, "a rule needs exactly one of alert (an alerting rule) or record (a recording rule)")
        return None
    name_key = "alert" if is_alert else "record"
    name = data.text(name_key)
    if not isinstance(name, str) or not name:
        report.error(file, data.line_of(name_key), f"{name_key} must be a non-empty name")
        ok = False
    expr = data.text("expr")
    if not isinstance(expr, str):
        report.error(file, data.line_of("expr"), f"{name_key} {name}, field 'expr': is missing; write a PromQL expression")
        ok = False
    else:
        try:
            parse_promql(expr)
        except ValueError as exc:
            report.error(file, data.line_of("expr"), f"{name_key} {name}, field 'expr': {exc}")
            ok = False
    labels = _string_map(data, "labels", file, report, "label")
    ok = ok and labels is not None
    if is_record:
        for key in ("for", "keep_firing_for", "annotations"):
            if key in data:
                report.error(file, data.line_of(key), f"record {name}, field {key!r}: is only for alerting rules")
                ok = False
        if not ok:
            return None
        try:
            return RecordingRule(record=name, expr=expr, labels=labels)
        except DefinitionError as exc:
            _model_error(exc, data, file, report)
            return None
    annotations = _string_map(data, "annotations", file, report, "annotation")
    good_for, for_ = _duration(data, "for", file, report, f"alert {name}")
    good_keep, keep = _duration(data, "keep_firing_for", file, report, f"alert {name}")
    if not (ok and annotations is not None and good_for and good_keep):
        return None
    try:
        return AlertRule(alert=name, expr=expr, for_=for_, keep_firing_for=keep, labels=labels, annotations=annotations)
    except DefinitionError as exc:
        _model_error(exc, data, file, report)
        return None


def _group(data: Any, line: int, file: str, report: Collector) -> ImportedGroup | None:
    if not isinstance(data, Mapping):
        report.error(file, line, "a rule group must be a mapping with name and rules")
        return None
    ok = True
    for key in data:
        if key in _UNMODELLED_GROUP_FIELDS:
            report.error(file, data.line_of(key), f"group field {key!r} ({_UNMODELLED_GROUP_FIELDS[key]}) cannot be "
                         "expressed by obscode's RuleGroup yet; remove it from the input or import the group by hand")
            ok = False
        elif key not in GROUP_FIELDS:
            report.error(file, data.line_of(key), f"unknown group field {key!r}; a group takes: "
                         "name, interval, query_offset, limit, rules, partial_response_strategy (Thanos), "
                         "source_tenants (Mimir, Cortex)")
            ok = False
    name = data.text("name")
    if not isinstance(name, str) or not name.strip():
        report.error(file, data.line_of("name"), "a rule group needs a name")
        ok = False
    good_interval, interval = _duration(data, "interval", file, report, f"group {name}")
    good_offset, query_offset = _duration(data, "query_offset", file, report, f"group {name}")
    limit = data.get("limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        report.error(file, data.line_of("limit"), f"limit must be a whole number >= 0, not {data.text('limit')!r}")
        ok = False
    strategy = data.get("partial_response_strategy")
    if strategy is not None and strategy not in ("abort", "warn"):
        report.error(file, data.line_of("partial_response_strategy"),
                     f"group {name}: partial_response_strategy must be abort or warn, not {data.text('partial_response_strategy')!r}")
        ok = False
    tenants = data.get("source_tenants")
    if tenants is not None and (not isinstance(tenants, Sequence) or isinstance(tenants, str)
                                or not all(isinstance(t, str) for t in tenants)):
        report.error(file, data.line_of("source_tenants"), f"group {name}: source_tenants must be a list of tenant IDs")
        ok = False
    rules_data = data.get("rules")
    if rules_data is None or rules_data == []:  # Prometheus loads a group without rules
        report.note(f"{file}:{data.line}: group {name} has no rules: imported as an empty group "
                    "(it evaluates nothing)")
        rules_data = []
    elif not isinstance(rules_data, Sequence):
        report.error(file, data.line_of("rules"), f"group {name}: rules must be a list of rules")
        return None
    rules = [_rule(item, rules_data.line_of(i), file, report) for i, item in enumerate(rules_data)]
    if not ok or not good_interval or not good_offset or any(r is None for r in rules):
        return None
    try:
        group = RuleGroup(name=name, rules=rules, interval=interval, query_offset=query_offset, limit=limit,
                          partial_response_strategy=strategy, source_tenants=list(tenants or []))
    except DefinitionError as exc:
        report.error(file, data.line, f"group {name}: {exc.message}")
        return None
    return ImportedGroup(name=name, original_name=name, group=group, data=data)


def _groups_of(document: Any, index: int, file: str, report: Collector) -> Sequence | None:
    """The ``groups`` list of one document (a rule file or a PrometheusRule), or None if it has none."""
    if document is None or document == {}:
        return None
    if not isinstance(document, Mapping):
        report.error(file, None, f"document {index + 1} is not a mapping: a rule file holds `groups:`")
        return None
    kind = (document.get("apiVersion"), document.get("kind"))
    if "kind" in document or "apiVersion" in document:
        if kind != _PROMETHEUS_RULE:
            report.warning(file, document.line, f"document {index + 1} is a {document.get('kind')} "
                           f"({document.get('apiVersion')}), not a PrometheusRule: skipped")
            return None
        meta = document.get("metadata") or {}
        report.note(f"{file}: PrometheusRule {meta.get('name', '?')}: its groups are imported; its metadata "
                    "(name, namespace, labels) is not: obscode writes plain Prometheus rule files")
        spec = document.get("spec")
        groups = spec.get("groups") if isinstance(spec, Mapping) else None
        where = spec.line_of("groups") if isinstance(spec, Mapping) else document.line_of("spec")
    else:
        for key in document:
            if key != "groups":
                report.error(file, document.line_of(key), f"unknown rule file field {key!r}; a rule file holds `groups:`")
        groups = document.get("groups")
        where = document.line_of("groups")
    if groups is None or groups == []:
        return None
    if not isinstance(groups, Sequence):
        report.error(file, where, "groups must be a list of rule groups")
        return None
    return groups


def read_file(path: Path, report: Collector) -> ImportedRuleFile | None:
    """The groups of one input file, every problem reported; None when it holds no groups."""
    file = str(path)
    documents = load_documents(path, report)
    if documents is None:
        return None
    imported = ImportedRuleFile(source=path, name=rule_file_name(path))
    seen: dict[str, int] = {}
    for index, document in enumerate(_unlisted(documents)):
        report_duplicates(document, file, report)
        groups = _groups_of(document, index, file, report)
        for position, data in enumerate(groups or []):
            group = _group(data, groups.line_of(position), file, report)  # type: ignore[union-attr]
            if group is None:
                continue
            if group.name in seen:
                report.error(file, group.data.line, f"group {group.name!r} is defined twice in this file "
                             f"(first at line {seen[group.name]}); Prometheus rejects repeated group names")
                continue
            seen[group.name] = group.data.line
            imported.groups.append(group)
    if not imported.groups:
        report.note(f"{file}: holds no rule groups (empty): skipped")
        return None
    return imported


def _unlisted(documents: list[Any]) -> list[Any]:
    """Documents with each Kubernetes ``kind: List`` (``kubectl get prometheusrules -o yaml``)
    replaced by its items."""
    out: list[Any] = []
    for document in documents:
        if isinstance(document, Mapping) and document.get("kind") == "List" and isinstance(document.get("items"), list):
            out.extend(document["items"])
        else:
            out.append(document)
    return out


def rule_file_name(path: Path) -> str:
    stem = path.name.rsplit(".", 1)[0] if path.suffix in (".yml", ".yaml", ".json") else path.name
    return _FILE_NAME_CHARS.sub("_", stem).lstrip("._-") or "rules"


def read_files(paths: list[Path], report: Collector) -> list[ImportedRuleFile]:
    """Every input file that holds groups, with rule file and group names made unique
    (renames are reported as notes)."""
    files = [f for f in (read_file(p, report) for p in paths) if f is not None]
    _unique_file_names(files, report)
    _unique_group_names(files, report)
    return files


def _unique_file_names(files: list[ImportedRuleFile], report: Collector) -> None:
    counts: dict[str, int] = {}
    for f in files:
        counts[f.name] = counts.get(f.name, 0) + 1
    taken: set[str] = {f.name for f in files if counts[f.name] == 1}
    for f in files:
        if counts[f.name] == 1:
            continue
        parent = _FILE_NAME_CHARS.sub("_", f.source.resolve().parent.name).lstrip("._-")
        base = f"{parent}-{f.name}" if parent else f.name
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        report.note(f"{f.source}: rule file named {name!r} ({f.name!r} is also the name of another input file)")
        f.name = name


def _unique_group_names(files: list[ImportedRuleFile], report: Collector) -> None:
    counts: dict[str, int] = {}
    for f in files:
        for g in f.groups:
            counts[g.name] = counts.get(g.name, 0) + 1
    taken = {g.name for f in files for g in f.groups if counts[g.name] == 1}
    for f in files:
        for g in f.groups:
            if counts[g.original_name] == 1:
                continue
            base = f"{g.original_name}-{f.name}"
            name, n = base, 1
            while name in taken:
                n += 1
                name = f"{base}-{n}"
            taken.add(name)
            report.note(f"{f.source}: group {g.original_name!r} renamed {name!r}: another input file has a group "
                        "of that name, and group names must be unique in a stack")
            g.name = name
            g.group = g.group.model_copy(update={"name": name})


# --- writing rules.py ---------------------------------------------------------------

def _rule_call(data: Mapping) -> pycode.Call:
    kwargs: list[tuple[str, Any]] = []
    if "alert" in data:
        kwargs.append(("alert", data.text("alert")))
        func = "AlertRule"
    else:
        kwargs.append(("record", data.text("record")))
        func = "RecordingRule"
    kwargs.append(("expr", pycode.Query(data.text("expr"))))
    for key, arg in (("for", "for_"), ("keep_firing_for", "keep_firing_for")):
        if data.get(key) is not None:
            kwargs.append((arg, data.text(key)))
    for key in ("labels", "annotations"):
        value = data.get(key)
        if value:
            kwargs.append((key, {name: "" if value.text(name) is None else value.text(name) for name in value}))
    return pycode.Call(func, kwargs)


def _group_call(group: ImportedGroup) -> pycode.Call:
    kwargs: list[tuple[str, Any]] = [("name", group.name)]
    for key in ("interval", "query_offset"):
        if group.data.get(key) is not None:
            kwargs.append((key, group.data.text(key)))
    if group.data.get("limit") is not None:
        kwargs.append(("limit", group.data["limit"]))
    if group.data.get("partial_response_strategy") is not None:
        kwargs.append(("partial_response_strategy", group.data.text("partial_response_strategy")))
    if group.data.get("source_tenants"):
        kwargs.append(("source_tenants", [str(t) for t in group.data["source_tenants"]]))
    kwargs.append(("rules", [_rule_call(r) for r in group.data["rules"]]))
    return pycode.Call("RuleGroup", kwargs)


def module_source(files: list[ImportedRuleFile]) -> str:
    """The text of ``rules.py``: each file's groups as variables, then its RuleFile, then
    ``rule_files`` listing them all."""
    taken = {"rule_files", "dedent", "AlertRule", "RecordingRule", "RuleFile", "RuleGroup"}
    sections: list[str] = []
    file_vars: list[str] = []
    used: set[str] = set()
    dedent = False
    for f in files:
        lines = [f"# From {f.source.name}" + (f" ({f.source})" if str(f.source) != f.source.name else "") + "\n\n"]
        group_vars = []
        for g in f.groups:
            var = pycode.identifier(g.name, taken, "group")
            call = _group_call(g)
            dedent = dedent or pycode.uses_dedent(call)
            used.update(r.func for r in call.kwargs[-1][1])
            lines.append(pycode.assignment(var, call) + "\n")
            group_vars.append(var)
        var = pycode.identifier(f.name, taken, "rule_file")
        file_vars.append(var)
        lines.append(pycode.assignment(var, pycode.Call("RuleFile", [
            ("name", f.name), ("groups", [pycode.Raw(v) for v in group_vars])])))
        sections.append("".join(lines))
    names = used | {"RuleFile", "RuleGroup"}
    sources = ", ".join(f.source.name for f in files)
    header = pycode.docstring(f"Alerting and recording rules, imported by `obscode import rules` from {sources}.")
    imports = ("from textwrap import dedent\n\n" if dedent else "") + pycode.import_line("obscode", names)
    footer = pycode.assignment("rule_files", [pycode.Raw(v) for v in file_vars])
    return header + "\n" + imports + "\n\n" + "\n\n".join(sections) + "\n\n" + footer


def expressions(files: list[ImportedRuleFile]) -> list[str]:
    """Every rule expression, for the catalog suggestions."""
    return [r.expr for f in files for g in f.groups for r in g.group.rules]
