"""``obscode import dashboard``: Grafana dashboard JSON kept as data next to the code
(``dashboards/<uid>.json``, byte for byte) and loaded by ``dashboards.py``.

obscode's typed dashboards cannot yet express every panel Grafana has, so this first version
keeps every dashboard as JSON: nothing is translated, nothing is lost. ``obscode generate``
normalises the JSON as it does for any dashboard (datasource references, legacy keys,
rows -> panels, schemaVersion); the import says what that normalisation will change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from obscode.grafana.normalise import DatasourceIndex, normalise
from obscode.grafana.walk import panels, targets
from obscode.importers import json_lines, pycode
from obscode.importers.problems import Collector
from obscode.model.dashboards import UID_MAX_LENGTH, UID_PATTERN, GrafanaSettings

#: The oldest dashboard JSON schema the import is meant for (Grafana 5).
OLDEST_SCHEMA = 16
DATA_DIR = "dashboards"
_FILE_CHARS = re.compile(r"[^a-zA-Z0-9_-]+")

MODULE_SOURCE = pycode.docstring(
    "Grafana dashboards, imported by `obscode import dashboard` and kept as JSON in dashboards/.\n\n"
    "obscode generate normalises them (datasource references, legacy keys, rows -> panels)."
) + '''
import json
from pathlib import Path

DASHBOARDS_DIR = Path(__file__).parent / "dashboards"

dashboards = [
    json.loads(path.read_text(encoding="utf-8"))
    for path in sorted(DASHBOARDS_DIR.glob("*.json"))
]
'''


@dataclass
class ImportedDashboard:
    source: Path
    #: File name under dashboards/ (``<uid>.json``).
    file_name: str
    content: bytes
    data: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.data.get("title") or self.data.get("uid") or self.source.name)


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def read_file(path: Path, report: Collector) -> ImportedDashboard | None:
    file = str(path)
    try:
        content = path.read_bytes()
        text = content.decode("utf-8-sig")
    except OSError as exc:
        report.error(file, None, f"cannot read it: {exc.strerror or exc}")
        return None
    except UnicodeDecodeError:
        report.error(file, None, "is not UTF-8 text")
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        report.error(file, exc.lineno, f"is not valid JSON: {exc.msg} (column {exc.colno})")
        return None
    if isinstance(data, dict) and isinstance(data.get("dashboard"), dict) and "panels" not in data:
        report.note(f"{file}: a Grafana API response: its `dashboard` object is imported, `meta` is not")
        data = data["dashboard"]
        content = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if not isinstance(data, dict) or not isinstance(data.get("panels", data.get("rows")), list):
        report.error(file, 1, "is not a Grafana dashboard: a dashboard is a JSON object with a `panels` (or `rows`) list")
        return None
    _check(data, text, file, report)
    return ImportedDashboard(source=path, file_name="", content=content, data=data)


def _check(data: dict[str, Any], text: str, file: str, report: Collector) -> None:
    version = data.get("schemaVersion")
    try:
        number = int(version) if version is not None else None
    except (TypeError, ValueError):
        report.error(file, _line_of(text, '"schemaVersion"'), f"schemaVersion {version!r} is not a number")
        return
    if number is not None and number < OLDEST_SCHEMA:
        report.note(f"{file}: schemaVersion {number} is older than {OLDEST_SCHEMA}: imported as it is; obscode "
                    "generate lays out its rows as Grafana's own migration does, look at the result")
    if any(_bad_targets(p) for p in _every_panel(data)):
        located = json_lines.loads(text)
        for panel in _every_panel(located):
            for target in _bad_targets(panel):
                line = getattr(target, "line", None) or getattr(panel, "line", None)
                report.error(file, line, f"panel {panel.get('title')!r}: a target's expr must be a string, "
                             f"not {type(target.get('expr')).__name__}")


def _every_panel(data: dict[str, Any]) -> list[Any]:
    return list(panels(data))


def _bad_targets(panel: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in targets(panel) if t.get("expr") is not None and not isinstance(t.get("expr"), str)]


#: A JSON string, and whether a colon follows it (then it is a key).
_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:)?')


def _keys(data: Any) -> set[str]:
    """Every key of every object in ``data`` (read off its JSON text: C speed)."""
    text = json.dumps(data, ensure_ascii=False)
    raw = {m.group(1) for m in _JSON_STRING.finditer(text) if m.group(2)}
    return {json.loads(f'"{key}"') for key in raw}


def normalisation_notes(dashboard: ImportedDashboard) -> list[str]:
    """What ``obscode generate`` will change in the dashboard: its schemaVersion, and keys
    that vanish entirely."""
    index = DatasourceIndex(tuple(GrafanaSettings().datasources(logs_index="logs", scrape_interval="1m")))
    normalised = normalise(dashboard.data, index)
    notes = []
    declared, written = dashboard.data.get("schemaVersion"), normalised.get("schemaVersion")
    if declared != written:
        notes.append(f"dashboard {dashboard.title!r}: obscode generate writes schemaVersion {written} "
                     f"(the input declares {declared!r})")
    gone = sorted(_keys(dashboard.data) - _keys(normalised))
    if gone:
        notes.append(f"dashboard {dashboard.title!r}: obscode generate drops keys Grafana no longer reads or "
                     f"that normalisation rewrites: {', '.join(gone)}")
    return notes


def read_files(paths: list[Path], report: Collector) -> list[ImportedDashboard]:
    """Every dashboard, each with its own file name under dashboards/ (``<uid>.json``; the
    input's name when the uid is missing or invalid). A file of that name already in the
    stack is the same dashboard again: writing it is a no-op, or a conflict if it changed."""
    found = [d for d in (read_file(p, report) for p in paths) if d is not None]
    taken: set[str] = set()
    for dashboard in found:
        uid = dashboard.data.get("uid")
        valid = isinstance(uid, str) and UID_PATTERN.match(uid) and len(uid) <= UID_MAX_LENGTH
        stem = uid if valid else _FILE_CHARS.sub("_", dashboard.source.name.removesuffix(".json")) or "dashboard"
        name, n = stem, 1
        while f"{name}.json" in taken:
            n += 1
            name = f"{stem}-{n}"
        if n > 1:
            report.note(f"{dashboard.source}: kept as {DATA_DIR}/{name}.json ({stem}.json is taken)")
        taken.add(f"{name}.json")
        dashboard.file_name = f"{name}.json"
    return found


def expressions(dashboards: list[ImportedDashboard]) -> list[str]:
    return [t["expr"] for d in dashboards for p in _every_panel(d.data) for t in targets(p)
            if isinstance(t.get("expr"), str)]

