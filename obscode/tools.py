"""The real validators: promtool and amtool, run on rendered output in a temp dir."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from obscode import paths
from obscode.checks import Problem
from obscode.emit._rule_format import without_ruler_fields
from obscode.emit.rendered import Rendered
from obscode.stack import Stack

PROMETHEUS_CONFIG = paths.PROMETHEUS_CONFIG
ALERTMANAGER_CONFIG = paths.ALERTMANAGER_CONFIG


def missing_tools() -> list[str]:
    return [tool for tool in ("promtool", "amtool") if shutil.which(tool) is None]


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def _run(args: list[str], cwd: Path) -> tuple[int, str]:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def _without_kubernetes_sd(config_path: Path) -> tuple[Path, list[str]]:
    """A copy of prometheus.yml without kubernetes_sd jobs, for promtool builds without
    Kubernetes discovery (Debian's 2.42). Those jobs are checked by the typed model."""
    data = yaml.safe_load(config_path.read_text())
    kept, dropped = [], []
    for job in data.get("scrape_configs", []):
        (dropped if "kubernetes_sd_configs" in job else kept).append(job)
    data["scrape_configs"] = kept
    copy = config_path.with_name("prometheus.promtool.yml")
    copy.write_text(yaml.safe_dump(data, sort_keys=False))
    return copy, [job["job_name"] for job in dropped]


@functools.lru_cache(maxsize=None)
def _installed(tool: str) -> str | None:
    from obscode.versions import installed_version

    return installed_version(tool)


def _too_old(tool: str, target: str | None) -> str | None:
    """Why the installed ``tool`` cannot check output for ``target`` (older release), or None."""
    from obscode.versions import covers

    installed = _installed(tool) if target else None
    if installed is None or target is None or covers(installed, target):
        return None
    return f"{tool} here is {installed}, older than the targeted {target}"


_RULE_LINE = re.compile(r'^(?P<file>\S+?\.ya?ml): group "(?P<group>(?:[^"\\]|\\.)*)", rule (?P<index>\d+), '
                        r'"(?P<name>(?:[^"\\]|\\.)*)": (?P<message>.*)$')
_CHECKING = re.compile(r"^Checking \S+(?:\s+FAILED:)?\s*")
_FAILED_PREFIX = re.compile(r"^FAILED:\s*")
_NOISE = ("amtool: error: failed to validate", "SUCCESS", "promtool: error")


def _clean(out: str) -> str:
    """A tool's message without its progress lines, once, on one line per problem."""
    lines: list[str] = []
    for line in out.splitlines():
        line = _FAILED_PREFIX.sub("", _CHECKING.sub("", line.strip()))
        if not line or line.startswith(_NOISE) or line in lines:
            continue
        lines.append(line)
    return "; ".join(lines)


def _stack_rules(stack: Stack | None) -> dict[tuple[str, int], object]:
    """``{(group name, index from 1): rule}`` (group names are unique in a stack)."""
    if stack is None:
        return {}
    return {(group.name, index): rule for rule_file in stack.rule_files for group in rule_file.groups
            for index, rule in enumerate(group.rules, start=1)}


def _rule_kind(rule: object, data: dict | None = None) -> str:
    if rule is not None:
        return "recording rule" if hasattr(rule, "record") else "alert"
    return "recording rule" if isinstance(data, dict) and "record" in data else "alert"


def _field_and_message(text: str) -> tuple[str | None, str]:
    """promtool's ``annotation "summary": <message>`` as (``annotations.summary``, its message)."""
    field, _, message = text.partition(": ")
    if field.startswith(("annotation ", "label ")):
        return field.split(" ", 1)[0] + "s." + field.split(" ", 1)[1].strip('"'), message
    return None, text


def _rule_problems(stack_name: str, out: str, stack: Stack | None) -> list[Problem]:
    """promtool check rules output as one problem per rule it names (with the rule's line)."""
    rules: dict[tuple[str, str, int], object] = {}
    if stack is not None:
        for rule_file in stack.rule_files:
            for group in rule_file.groups:
                for index, rule in enumerate(group.rules, start=1):
                    rules[(rule_file.path.split("/")[-1], group.name, index)] = rule
    problems, loose = [], []
    for line in out.splitlines():
        found = _RULE_LINE.match(line.strip())
        if not found:
            loose.append(line)
            continue
        file = found["file"].split("/")[-1]
        rule = rules.get((file, found["group"], int(found["index"])))
        field_name, message = _field_and_message(found["message"])
        problems.append(Problem("tools/promtool", stack_name, f"{paths.RULES_DIR}{file}",
                                f"{_rule_kind(rule)} {found['name']} in group {found['group']}", f"promtool: {message}",
                                field=field_name, source=getattr(rule, "source", None),
                                cause=f"promtool check rules: {message}"))
    rest = _clean("\n".join(loose))
    if rest and not problems:
        problems.append(Problem("tools/promtool", stack_name, "prometheus/rules", "promtool check rules", rest))
    return problems


#: Where the rule groups of the other forms are copied for promtool, under the temp tree.
_FORMS_DIR = ".promtool-forms"
_COPY_LINE = re.compile(r"^line \d+: ")


def _form_copies(root: Path, rendered: Rendered) -> dict[str, tuple[str, str, list[dict]]]:
    """The rule groups of every form but ``prometheus/rules/`` (PrometheusRules' ``spec.groups``,
    Thanos and Mimir files), each file's copy written as a Prometheus rule file without the
    Thanos/Mimir-only group fields: ``{copy path: (output, generated path, groups)}``."""
    copies: dict[str, tuple[str, str, list[dict]]] = {}
    for output, files in rendered.rule_groups_by_output().items():
        if output == "prometheus":
            continue
        for number, (path, groups) in enumerate(sorted(files.items())):
            plain = [without_ruler_fields(g) if isinstance(g, dict) else g for g in groups]
            copy = f"{_FORMS_DIR}/{output}/{number}.yml"
            (root / copy).parent.mkdir(parents=True, exist_ok=True)
            (root / copy).write_text(yaml.safe_dump({"groups": plain}, sort_keys=False))
            copies[copy] = (output, path, plain)
    return copies


def _form_problems(stack_name: str, out: str, copies: dict[str, tuple[str, str, list[dict]]],
                   stack: Stack | None) -> list[Problem]:
    """promtool's verdict on the other forms, on the generated file and rule at fault: each bad
    rule once per form (its messages joined), a file-level error once per file."""
    rules = _stack_rules(stack)
    per_rule: dict[tuple[str, str, int], list[str]] = {}
    names: dict[tuple[str, str, int], str] = {}
    per_file: dict[str, list[str]] = {}
    current: str | None = None
    for line in out.splitlines():
        text = line.strip()
        found = _RULE_LINE.match(text)
        if found and found["file"] in copies:
            key = (found["file"], found["group"], int(found["index"]))
            per_rule.setdefault(key, [])
            if found["message"] not in per_rule[key]:
                per_rule[key].append(found["message"])
            names[key] = found["name"]
            current = None
            continue
        file, colon, rest = text.partition(": ")
        if colon and file in copies:
            current = file
            per_file.setdefault(file, []).append(rest)
        elif current is not None and line.startswith((" ", "\t")) and text:
            per_file[current].append(text)
        else:
            current = None
    problems = []
    for (copy, group, index), messages in per_rule.items():
        output, path, groups = copies[copy]
        data = next((g for g in groups if isinstance(g, dict) and g.get("name") == group), {})
        group_rules = data.get("rules") or []
        rule_data = group_rules[index - 1] if index <= len(group_rules) else None
        rule = rules.get((group, index))
        field, message = _field_and_message(messages[0]) if len(messages) == 1 else (None, "; ".join(messages))
        problems.append(Problem("tools/promtool", stack_name, path,
                                f"{_rule_kind(rule, rule_data)} {names[(copy, group, index)]} in group {group}",
                                f"promtool: {message}", field=field, source=getattr(rule, "source", None),
                                cause=f"promtool check rules: {message}"))
    for copy, lines in per_file.items():
        output, path, _groups = copies[copy]
        # line numbers are the copy's, not the generated file's: left out
        message = _clean("\n".join(_COPY_LINE.sub("", line) for line in lines)).replace(":; ", ": ")
        problems.append(Problem("tools/promtool", stack_name, path, f"{output} rule groups",
                                f"promtool: {message}", cause=f"promtool check rules: {message}"))
    return problems


def _receiver_at_fault(root: Path, config: dict, names: list[str]) -> list[str]:
    """The receivers amtool rejects on their own (each alone in a copy of the config)."""
    guilty = []
    for name in names:
        alone = dict(config)
        alone["route"] = {"receiver": name}
        alone["receivers"] = [r for r in config.get("receivers", []) if r.get("name") == name]
        alone.pop("inhibit_rules", None)
        alone.pop("time_intervals", None)
        alone.pop("mute_time_intervals", None)
        copy = root / "alertmanager" / f"alone-{len(guilty)}.yml"
        copy.write_text(yaml.safe_dump(alone, sort_keys=False))
        code, _out = _run(["amtool", "check-config", str(copy)], root)
        copy.unlink()
        if code != 0:
            guilty.append(name)
    return guilty


def _amtool_problems(stack_name: str, root: Path, out: str, stack: Stack | None) -> list[Problem]:
    message = _clean(out.replace(str(root / ALERTMANAGER_CONFIG), ALERTMANAGER_CONFIG))
    config = yaml.safe_load((root / ALERTMANAGER_CONFIG).read_text()) or {}
    names = [r.get("name") for r in config.get("receivers", []) if isinstance(r, dict)]
    guilty = _receiver_at_fault(root, config, names) if names else []
    if len(names) > 1 and len(guilty) == len(names):
        guilty = []  # every receiver fails alone: the fault is in what they share (global)
    if not guilty:
        source = stack.alertmanager.source if stack is not None and stack.alertmanager is not None else None
        return [Problem("tools/amtool", stack_name, ALERTMANAGER_CONFIG, "amtool check-config",
                        f"amtool: {message}", source=source)]
    problems = []
    for name in guilty:
        receiver = None
        if stack is not None and stack.alertmanager is not None:
            receiver = next((r for r in stack.alertmanager.receivers if r.name == name), None)
        problems.append(Problem("tools/amtool", stack_name, ALERTMANAGER_CONFIG, f"receiver {name}",
                                f"amtool: {message}", source=getattr(receiver, "source", None),
                                cause=f"amtool check-config: {message}"))
    return problems


def run_tools(stack_name: str, files: dict[str, bytes], targets: dict[str, str] | None = None,
              stack: Stack | None = None) -> tuple[list[Problem], list[str]]:
    """Problems promtool/amtool report on the output, and notes for the user. ``targets``
    maps ``promtool``/``amtool`` to the version the stack targets: a tool older than its
    target would refuse what the target accepts, so it is skipped with a note. With
    ``stack``, each problem names the object it is about (the rule, the receiver) with its
    definition line; the stack's alert tests (prometheus/tests/) run with promtool too.

    ``promtool check rules`` judges every form the rule groups are written in: the rule files,
    and the PrometheusRules' ``spec.groups`` and the Thanos and Mimir files, each without the
    group fields only Thanos or Mimir read; a failure names the generated file it is in.

    prometheus.yml is checked with ``--syntax-only``: the files it names (credentials, TLS
    certificates, file discovery) live on the Prometheus host, not where obscode runs; the rule
    files are checked on their own."""
    problems: list[Problem] = []
    notes: list[str] = []
    targets = targets or {}
    old_promtool, old_amtool = _too_old("promtool", targets.get("promtool")), _too_old("amtool", targets.get("amtool"))
    for why, what in ((old_promtool, "prometheus.yml, the rule files and the alert tests"),
                      (old_amtool, "alertmanager.yml")):
        if why:
            notes.append(f"{stack_name}: {why}; {what} were checked by obscode's typed model only "
                         "(install a newer release to check them with the real tool)")
    with tempfile.TemporaryDirectory(prefix="obscode-check-") as tmp:
        root = Path(tmp)
        write_tree(root, files)
        prom_dir = root / "prometheus"
        if PROMETHEUS_CONFIG in files and shutil.which("promtool") and not old_promtool:
            config = root / PROMETHEUS_CONFIG
            code, out = _run(["promtool", "check", "config", "--syntax-only", config.name], prom_dir)
            if code != 0 and "kubernetes_sd_configs" in out:
                copy, dropped = _without_kubernetes_sd(config)
                notes.append(
                    f"{stack_name}: promtool here has no Kubernetes discovery; checked prometheus.yml without "
                    f"job(s) {', '.join(dropped)} (their fields are checked by the typed model)"
                )
                code, out = _run(["promtool", "check", "config", "--syntax-only", copy.name], prom_dir)
            if code != 0:
                source = stack.prometheus.source if stack is not None and stack.prometheus is not None else None
                problems.append(Problem("tools/promtool", stack_name, PROMETHEUS_CONFIG, "promtool check config",
                                        f"promtool: {_clean(out)}", source=source))
        rules = sorted(p for p in files if p.startswith(paths.RULES_DIR))
        rules_ok = True
        if rules and shutil.which("promtool") and not old_promtool:
            code, out = _run(["promtool", "check", "rules", *[str(root / r) for r in rules]], root)
            if code != 0:
                rules_ok = False
                problems.extend(_rule_problems(stack_name, out.replace(str(root) + "/", ""), stack))
        copies = _form_copies(root, Rendered.of(stack_name, files))
        if copies and shutil.which("promtool") and not old_promtool:
            code, out = _run(["promtool", "check", "rules", *copies], root)
            if code != 0:
                problems.extend(_form_problems(stack_name, out, copies, stack))
        if ALERTMANAGER_CONFIG in files and shutil.which("amtool") and not old_amtool:
            code, out = _run(["amtool", "check-config", str(root / ALERTMANAGER_CONFIG)], root)
            if code != 0:
                problems.extend(_amtool_problems(stack_name, root, out, stack))
    if rules_ok and not old_promtool:
        from obscode.alert_tests.run import run_alert_tests

        problems.extend(run_alert_tests(stack_name, files, stack))
    return problems, notes
