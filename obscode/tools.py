"""The real validators: promtool and amtool, run on rendered output in a temp dir."""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from obscode.checks import Problem

PROMETHEUS_CONFIG = "prometheus/prometheus.yml"
ALERTMANAGER_CONFIG = "alertmanager/alertmanager.yml"


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


def run_tools(stack: str, files: dict[str, bytes], targets: dict[str, str] | None = None
              ) -> tuple[list[Problem], list[str]]:
    """Problems promtool/amtool report on the output, and notes for the user. ``targets``
    maps ``promtool``/``amtool`` to the version the stack targets: a tool older than its
    target would refuse what the target accepts, so it is skipped with a note."""
    problems: list[Problem] = []
    notes: list[str] = []
    targets = targets or {}
    old_promtool, old_amtool = _too_old("promtool", targets.get("promtool")), _too_old("amtool", targets.get("amtool"))
    for why, what in ((old_promtool, "prometheus.yml and the rule files"), (old_amtool, "alertmanager.yml")):
        if why:
            notes.append(f"{stack}: {why}; {what} were checked by obscode's typed model only "
                         "(install a newer release to check them with the real tool)")
    with tempfile.TemporaryDirectory(prefix="obscode-check-") as tmp:
        root = Path(tmp)
        write_tree(root, files)
        prom_dir = root / "prometheus"
        if PROMETHEUS_CONFIG in files and shutil.which("promtool") and not old_promtool:
            config = root / PROMETHEUS_CONFIG
            code, out = _run(["promtool", "check", "config", config.name], prom_dir)
            if code != 0 and "kubernetes_sd_configs" in out:
                copy, dropped = _without_kubernetes_sd(config)
                notes.append(
                    f"{stack}: promtool here has no Kubernetes discovery; checked prometheus.yml without "
                    f"job(s) {', '.join(dropped)} (their fields are checked by the typed model)"
                )
                code, out = _run(["promtool", "check", "config", copy.name], prom_dir)
            if code != 0:
                problems.append(Problem("tools/promtool", stack, PROMETHEUS_CONFIG, "promtool check config", out))
        rules = sorted(p for p in files if p.startswith("prometheus/rules/"))
        if rules and shutil.which("promtool") and not old_promtool:
            code, out = _run(["promtool", "check", "rules", *[str(root / r) for r in rules]], root)
            if code != 0:
                problems.append(Problem("tools/promtool", stack, "prometheus/rules", "promtool check rules",
                                        out.replace(str(root) + "/", "")))
        if ALERTMANAGER_CONFIG in files and shutil.which("amtool") and not old_amtool:
            code, out = _run(["amtool", "check-config", str(root / ALERTMANAGER_CONFIG)], root)
            if code != 0:
                problems.append(Problem("tools/amtool", stack, ALERTMANAGER_CONFIG, "amtool check-config",
                                        out.replace(str(root) + "/", "")))
    return problems, notes
