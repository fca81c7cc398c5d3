"""Derive obscode/grafana/upstream_keys.py: which keys Grafana's dashboard JSON has, where,
and since which Grafana version, from the JSON schemas the Grafana Foundation SDK generates
from Grafana's kind registry (repository grafana/grafana-foundation-sdk, folder jsonschema/,
one branch per Grafana minor release: v10.1.x+cog-v0.0.x ... v11.6.x+cog-v0.0.x).

Usage: python scripts/grafana_schema/derive_keys.py SDK_GIT_DIR [OUT]

The SDK's ``main`` branch is read last: its schemas are the v11.6 kind registry with later
fixes (keys such as fieldConfig.defaults.fieldMinMax that Grafana had long before the SDK
listed them), so keys only ``main`` has are merged in without a release mark.

SDK_GIT_DIR is a clone (bare is fine) of grafana/grafana-foundation-sdk. Only key names and
their nesting are kept (no descriptions, types or defaults): a node is a dict of key ->
node, with "*" set when the schema allows any key there and "@" holding the Grafana version
that first has the key, when that is newer than the oldest release read.
"""

from __future__ import annotations

import json
import pprint
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "obscode" / "grafana" / "upstream_keys.py"
RELEASES = ["10.1", "10.2", "10.3", "10.4", "11.0", "11.1", "11.2", "11.3", "11.4", "11.5", "11.6"]
#: Panel plugin ids and the schema files (kinds) that describe them.
PANEL_KINDS = {
    "timeseries": "timeseries", "stat": "stat", "gauge": "gauge", "bargauge": "bargauge", "table": "table",
    "text": "text", "piechart": "piechart", "barchart": "barchart", "histogram": "histogram",
    "heatmap": "heatmap", "logs": "logs", "state-timeline": "statetimeline", "status-history": "statushistory",
    "news": "news", "dashlist": "dashboardlist", "annolist": "annotationslist", "nodeGraph": "nodegraph",
    "geomap": "geomap", "canvas": "canvas", "xychart": "xychart", "trend": "trend", "candlestick": "candlestick",
    "datagrid": "datagrid", "debug": "debug",
}
#: Data source query kinds, by data source plugin type.
QUERY_KINDS = {"prometheus": "prometheus", "loki": "loki", "elasticsearch": "elasticsearch", "tempo": "tempo"}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(repo), *args], check=True, capture_output=True, text=True).stdout


class Kind:
    """One schema file: its definitions, and a key tree for any of them."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.defs = document.get("definitions", {})

    def node(self, schema: Any, seen: tuple[str, ...] = ()) -> dict[str, Any] | None:
        """The key tree of ``schema``: None for a value that is not an object (or list of objects)."""
        if not isinstance(schema, dict):
            return None
        ref = schema.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[-1]
            if name in seen:
                return {"*": True}
            return self.node(self.defs.get(name), seen + (name,))
        if schema.get("type") == "array" or "items" in schema:
            return self.node(schema.get("items"), seen)
        out: dict[str, Any] = {}
        for member in [*schema.get("allOf", []), *schema.get("oneOf", []), *schema.get("anyOf", [])]:
            merge(out, self.node(member, seen))
        for key, value in (schema.get("properties") or {}).items():
            out[key] = self.node(value, seen)
        extra = schema.get("additionalProperties")
        if extra not in (None, False):
            out["*"] = True
        if not out and schema.get("type") not in ("object", None):
            return None
        return out or ({"*": True} if schema.get("type") == "object" else None)

    def definition(self, name: str) -> dict[str, Any] | None:
        return self.node({"$ref": f"#/definitions/{name}"})


def merge(into: dict[str, Any], other: dict[str, Any] | None) -> None:
    for key, value in (other or {}).items():
        if key not in into or into[key] is None:
            into[key] = value
        elif isinstance(into[key], dict) and isinstance(value, dict):
            merge(into[key], value)


def release_tree(read: Any) -> dict[str, Any]:
    """Every tree obscode checks, for one release; ``read(kind)`` returns a schema document."""
    dashboard = Kind(read("dashboard"))
    tree: dict[str, Any] = {
        "dashboard": dashboard.definition("Dashboard"),
        "panel": dashboard.definition("Panel"),
        "row": dashboard.definition("RowPanel"),
        "field_config": dashboard.definition("FieldConfigSource"),
        "variable": dashboard.definition("VariableModel"),
        "annotation": dashboard.definition("AnnotationQuery"),
        "options": {}, "custom": {}, "queries": {},
    }
    for plugin, kind in PANEL_KINDS.items():
        document = read(kind)
        if document is None:
            continue
        panel = Kind(document)
        if "Options" in panel.defs:
            tree["options"][plugin] = panel.definition("Options")
        if "FieldConfig" in panel.defs:
            tree["custom"][plugin] = panel.definition("FieldConfig")
    for plugin, kind in QUERY_KINDS.items():
        document = read(kind)
        if document is not None:
            query = Kind(document)
            name = next((d for d in query.defs if d.lower() == "dataquery"), None)
            if name:
                tree["queries"][plugin] = query.definition(name)
    return tree


def with_since(old: Any, new: Any, release: str) -> Any:
    """``new`` with every key absent from ``old`` marked as appearing in ``release``."""
    if not isinstance(new, dict):
        return old if isinstance(old, dict) and "@" in old else new
    out: dict[str, Any] = {"@": old["@"]} if isinstance(old, dict) and "@" in old else {}
    for key, value in new.items():
        if key in ("*", "@"):
            out[key] = value
            continue
        before = old.get(key, ...) if isinstance(old, dict) else ...
        if before is ...:
            child = dict(value) if isinstance(value, dict) else {}
            child["@"] = release
            out[key] = child
        else:
            out[key] = with_since(before, value, release)
    if isinstance(old, dict):
        for key, value in old.items():
            out.setdefault(key, value)  # a key later releases dropped is still one Grafana reads
    return out


def derive(repo: Path) -> tuple[dict[str, Any], dict[str, str]]:
    merged: dict[str, Any] = {}
    commits: dict[str, str] = {}
    for release in [*RELEASES, "main"]:
        ref = "main" if release == "main" else f"v{release}.x+cog-v0.0.x"
        commits[release] = _git(repo, "rev-parse", ref).strip()

        def read(kind: str, ref: str = ref) -> dict[str, Any] | None:
            try:
                return json.loads(_git(repo, "show", f"{ref}:jsonschema/{kind}.jsonschema.json"))
            except subprocess.CalledProcessError:
                return None

        tree = release_tree(read)
        if release == "main":
            merge(merged, tree)
        else:
            merged = tree if not merged else with_since(merged, tree, release)
    return merged, commits


#: Where a release mark says something about Grafana rather than about the SDK: panel plugin
#: options and field options (hideZeros in 11.5, percentChangeColorMode in 11.1). Marks on the
#: dashboard model itself (annotation builtIn, panel cacheTimeout, maxPerRow, the Prometheus
#: query's datasource) and every mark of the second release read (10.2, against an incomplete
#: 10.1) record when the SDK caught up with keys Grafana had long read: they are dropped.
TRUSTED_MARKS = ("options", "custom")


def unmark(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    return {k: unmark(v) for k, v in node.items() if k != "@"}


def trusted(tree: dict[str, Any]) -> dict[str, Any]:
    def drop_first(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        return {k: drop_first(v) for k, v in node.items() if not (k == "@" and v == RELEASES[1])}

    return {part: drop_first(node) if part in TRUSTED_MARKS else unmark(node) for part, node in tree.items()}


def main(argv: list[str]) -> int:
    repo = Path(argv[0])
    out = Path(argv[1]) if len(argv) > 1 else OUT
    tree, commits = derive(repo)
    tree = trusted(tree)
    text = (
        '"""Keys of Grafana dashboard JSON, by place, derived from the JSON schemas of the Grafana\n'
        "Foundation SDK (grafana/grafana-foundation-sdk, jsonschema/, one branch per Grafana release).\n\n"
        "Generated by scripts/grafana_schema/derive_keys.py; do not edit. A node maps a key to its\n"
        "node (None: a value with no keys of its own); \"*\" marks a place where any key is allowed;\n"
        '"@" is the Grafana release that first has the key."""\n\n'
        f"RELEASES = {RELEASES!r}\n\n"
        f"#: The SDK commit read for each release.\nCOMMITS = {pprint.pformat(commits, width=110)}\n\n"
        f"TREE = {pprint.pformat(tree, width=110, sort_dicts=True)}\n"
    )
    out.write_text(text)
    print(f"wrote {out} from {len(commits)} releases")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
