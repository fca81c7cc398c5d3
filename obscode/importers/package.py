"""The stack package an import writes: one module per kind of input, an ``__init__.py``
that builds ``stack`` from the modules present, and ``catalogs.py`` with the suggested
``job_catalogs``. Several imports into one folder compose: each writes its module and
rewrites the two files the importer owns. Files are written all or none."""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path

from obscode.errors import UsageError
from obscode.importers import pycode
from obscode.importers.catalogs import Suggestion
from obscode.versions import parse_version

#: Modules an import writes, in the order ``Stack(...)`` takes them: (module, variable, Stack field).
MODULES = (
    ("scrape", "prometheus", "prometheus"),
    ("rules", "rule_files", "rule_files"),
    ("slos", "slos", "slos"),
    ("alertmanager", "alertmanager", "alertmanager"),
    ("dashboards", "dashboards", "dashboards"),
    ("catalogs", "job_catalogs", "job_catalogs"),
)
#: The first docstring line of every file the importer owns and may rewrite without --force.
MARKER = "written by `obscode import`"
_STACK_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


def check_stack_name(name: str) -> str:
    if not _STACK_NAME.match(name):
        raise UsageError(f"--stack {name!r}: a stack name holds letters, digits, '_', '-' and '.', "
                         "starting with a letter or digit")
    return name


def init_source(stack_name: str, modules: set[str], versions: dict[str, tuple[str, str]] | None = None,
                target_labels: bool = False) -> str:
    """``__init__.py`` building ``stack`` from the modules present; ``versions`` are target
    versions above the defaults, with what needs them; ``target_labels``: catalogs.py defines
    ``target_labels``."""
    lines = [pycode.docstring(
        f"Stack {stack_name}, {MARKER}.\n\n"
        "Each import adds its module (scrape.py, rules.py, alertmanager.py, dashboards.py) and rewrites\n"
        "this file and catalogs.py to include it; edit the modules, and this file once you stop importing."),
        "\nfrom obscode import Stack\n\n"]
    for module, variable, _ in MODULES:
        if module in modules:
            extra = ", target_labels" if module == "catalogs" and target_labels else ""
            lines.append(f"from .{module} import {variable}{extra}\n")
    kwargs: list[tuple[str, object]] = [("name", stack_name)]
    for module, variable, stack_field in MODULES:
        if module in modules:
            kwargs.append((stack_field, pycode.Raw(variable)))
            if module == "catalogs" and target_labels:
                kwargs.append(("target_labels", pycode.Raw("target_labels")))
        elif module == "scrape":
            kwargs.append(("prometheus", pycode.Commented(
                None, "No scrape configuration: these rules and dashboards run on a Prometheus configured\n"
                      "elsewhere (`obscode import prometheus FILE` adds one)")))
            kwargs.append(("unlisted_jobs", pycode.Commented(
                True, "The import sees only the jobs its queries name, so a metric no catalog lists may come\n"
                      "from another job: a warning, not an error. List every job in catalogs.py and remove\n"
                      "this line to have such metrics checked.")))
    for field, (version, why) in sorted((versions or {}).items()):
        kwargs.append((field, pycode.Commented(version, f"The input uses {why}.")))
    lines.append("\n" + pycode.assignment("stack", pycode.Call("Stack", kwargs)))
    return "".join(lines)


def read_job_catalogs(path: Path) -> dict[str, list[str]]:
    """``job_catalogs`` of an existing catalogs.py (a literal dict), or {}."""
    return _literal(path, "job_catalogs") or {}


def _literal(path: Path, name: str) -> object:
    if not path.is_file():
        return None
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                return None
    return None


def scrape_jobs(path: Path) -> list[str] | None:
    """The ``job_name`` of every ``ScrapeConfig(...)`` in an existing scrape.py, or None without one."""
    if not path.is_file():
        return None
    tree = ast.parse(path.read_text(encoding="utf-8"))
    jobs = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ScrapeConfig":
            for keyword in node.keywords:
                if keyword.arg == "job_name" and isinstance(keyword.value, ast.Constant):
                    jobs.append(str(keyword.value.value))
    return jobs


def catalogs_source(job_catalogs: dict[str, list[str]], target_labels: list[str]) -> str:
    doc = (f"Shipped catalogs of what each job emits, {MARKER}.\n\n"
           "Suggested from the jobs and metric names the imported queries select (each import merges its\n"
           "suggestions here). A job with [] is one no shipped catalog describes: it may emit anything,\n"
           "so metrics no catalog lists are not errors; give it one (`obscode catalog scrape URL -o\n"
           "catalogs/JOB.yml`) and name the file here to have its queries checked.\n\n"
           "target_labels: labels the queries use that service discovery or relabelling conventionally\n"
           "adds to every target (cluster, namespace, pod, ...); they count as labels of every job's\n"
           "series. Remove those your Prometheus does not add, and the checks report their uses.")
    body = pycode.assignment("job_catalogs", {job: list(refs) for job, refs in sorted(job_catalogs.items())})
    body += "\n" + pycode.assignment("target_labels", sorted(target_labels))
    return pycode.docstring(doc) + "\n" + body


@dataclass
class Plan:
    """The files one import writes into ``out`` (paths relative to it) and what it says."""

    out: Path
    stack_name: str
    files: dict[str, bytes]
    notes: list[str]


def init_versions(path: Path) -> dict[str, tuple[str, str]]:
    """Target versions an existing ``__init__.py`` sets in its ``Stack(...)`` call."""
    if not path.is_file():
        return {}
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError:
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Stack":
            for keyword in node.keywords:
                if keyword.arg and keyword.arg.endswith("_version") and isinstance(keyword.value, ast.Constant):
                    above = lines[keyword.lineno - 2].strip() if keyword.lineno >= 2 else ""
                    why = above.removeprefix("# The input uses ").rstrip(".") if above.startswith("#") else "the input"
                    found[keyword.arg] = (str(keyword.value.value), why)
    return found


def compose(out: Path, stack_name: str, module: str, source: str, extra: dict[str, bytes],
            suggestion: Suggestion | None, notes: list[str],
            versions: dict[str, tuple[str, str]] | None = None) -> Plan:
    """Every file of an import of one kind: its module, its data files, and the rewritten
    ``__init__.py`` and ``catalogs.py``; ``versions``: target versions the input needs."""
    files = {f"{module}.py": source.encode("utf-8"), **extra}
    present = {m for m, _, _ in MODULES if (out / f"{m}.py").is_file()} | {module, "catalogs"}
    job_catalogs = read_job_catalogs(out / "catalogs.py")
    target_labels = set(_literal(out / "catalogs.py", "target_labels") or [])
    if suggestion is not None:
        for job, refs in suggestion.job_catalogs.items():
            job_catalogs[job] = sorted(set(job_catalogs.get(job, [])) | set(refs))
        for job in suggestion.without:
            job_catalogs.setdefault(job, [])
        target_labels |= set(suggestion.target_labels)
    jobs = scrape_jobs(out / "scrape.py") if module != "scrape" else _scrape_jobs_of(source)
    if jobs is not None:
        for job in sorted(set(job_catalogs) - set(jobs)):
            if job_catalogs[job]:
                notes.append(f"job {job} is queried but is not a scrape job of scrape.py: its catalogs "
                             f"({', '.join(job_catalogs[job])}) are not listed in job_catalogs")
            del job_catalogs[job]
    existing = out / "catalogs.py"
    if existing.is_file() and not isinstance(_literal(existing, "job_catalogs"), dict):
        # Edited by hand into something other than a literal: keep it, say what it would get.
        if suggestion is not None and suggestion.job_catalogs:
            notes.append(f"{existing} is not a plain job_catalogs literal, so it is kept as it is; add by hand: "
                         + ", ".join(f"{job}: {refs}" for job, refs in sorted(suggestion.job_catalogs.items())))
    else:
        files["catalogs.py"] = catalogs_source(job_catalogs, sorted(target_labels)).encode("utf-8")
    targets = init_versions(out / "__init__.py")
    for field, (version, why) in (versions or {}).items():
        if field not in targets or parse_version(version) > parse_version(targets[field][0]):
            targets[field] = (version, why)
            notes.append(f"the stack targets {field} {version}: the input uses {why}")
    catalogs_text = files["catalogs.py"].decode("utf-8") if "catalogs.py" in files else (
        existing.read_text(encoding="utf-8") if existing.is_file() else "")
    defines_targets = re.search(r"^target_labels\s*=", catalogs_text, re.M) is not None
    files["__init__.py"] = init_source(stack_name, present, targets, defines_targets).encode("utf-8")
    return Plan(out=out, stack_name=stack_name, files=files, notes=notes)


def _scrape_jobs_of(source: str) -> list[str]:
    tree = ast.parse(source)
    return [str(k.value.value) for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "ScrapeConfig"
            for k in node.keywords if k.arg == "job_name" and isinstance(k.value, ast.Constant)]


def _owned(path: Path) -> bool:
    """A file the importer wrote and may rewrite (its docstring carries the marker)."""
    try:
        head = path.read_text(encoding="utf-8")[:300]
    except (OSError, UnicodeDecodeError):
        return False
    return MARKER in head


def conflicts(plan: Plan, force: bool) -> list[Path]:
    """Existing files the plan would change that the importer does not own."""
    if force:
        return []
    found = []
    for rel, content in sorted(plan.files.items()):
        path = plan.out / rel
        if not path.exists():
            continue
        if path.is_dir():
            found.append(path)
        elif path.read_bytes() != content and not (rel in ("__init__.py", "catalogs.py") and _owned(path)):
            found.append(path)
    return found


def write(plan: Plan, force: bool) -> list[Path]:
    """Write every file of ``plan``, or none: refuse files that exist (unless ``force``), and
    put back what was replaced if a write fails half-way. Returns the paths written."""
    taken = conflicts(plan, force)
    if taken:
        names = ", ".join(str(p) for p in taken)
        raise UsageError(f"{names} already exist{'s' if len(taken) == 1 else ''}; nothing written: "
                         "pass --force to replace, or choose another --out")
    staged: list[tuple[Path, Path]] = []
    try:
        for rel, content in sorted(plan.files.items()):
            target = plan.out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f".{target.name}.import-tmp")
            temp.write_bytes(content)
            staged.append((temp, target))
    except OSError as exc:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        raise UsageError(f"cannot write {plan.out}: {exc.strerror or exc}; nothing written") from None
    replaced: list[tuple[Path, Path | None]] = []
    try:
        for temp, target in staged:
            backup = None
            if target.exists():
                backup = target.with_name(f".{target.name}.import-old")
                os.replace(target, backup)
            replaced.append((target, backup))
            os.replace(temp, target)
    except OSError as exc:
        for target, backup in reversed(replaced):
            if backup is not None:
                os.replace(backup, target)
            else:
                target.unlink(missing_ok=True)
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        raise UsageError(f"cannot write {plan.out}: {exc.strerror or exc}; nothing written") from None
    for _, backup in replaced:
        if backup is not None:
            backup.unlink(missing_ok=True)
    return [target for _, target in staged]
