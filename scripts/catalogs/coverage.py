"""How much of what published monitoring mixins query a shipped catalog knows.

Usage::

    python scripts/catalogs/coverage.py CORPUS_DIR [--catalog NAME ...] [--show N]

CORPUS_DIR holds one folder per mixin with ``alerts.yaml``, ``rules.yaml`` and
``dashboards/*`` (the layout of monitoring-mixins' rendered ``assets/``). For each catalog,
every metric name a query selects that starts with one of the catalog's ``namespaces`` is
looked up among the catalog's series; the misses are printed with the mixins that query
them. Names a recording rule of the corpus defines are not misses. Grafana variables are
substituted before parsing; an expression that still does not parse is counted apart.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import yaml  # noqa: E402

from obscode.grafana_vars import substitute  # noqa: E402
from obscode.model.catalog import load_yaml, shipped_names, SHIPPED_DIR  # noqa: E402
from obscode.promql import parse, selectors  # noqa: E402


def _rule_exprs(path: Path) -> tuple[list[str], set[str]]:
    exprs, records = [], set()
    try:
        docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError):
        return [], set()
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        groups = doc.get("groups") or (doc.get("spec") or {}).get("groups") or []
        for group in groups:
            for rule in group.get("rules") or []:
                if isinstance(rule, dict) and isinstance(rule.get("expr"), str):
                    exprs.append(rule["expr"])
                    if rule.get("record"):
                        records.add(rule["record"])
    return exprs, records


def _dashboard_exprs(value: Any) -> list[str]:
    out: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "expr" and isinstance(inner, str):
                out.append(inner)
            elif key in ("query", "definition") and isinstance(inner, str) and "(" in inner:
                text = inner
                for fn in ("label_values(", "query_result("):
                    if text.startswith(fn):
                        text = text[len(fn):-1]
                        if fn == "label_values(" and "," in text:
                            text = text.rsplit(",", 1)[0]
                out.append(text)
            else:
                out += _dashboard_exprs(inner)
    elif isinstance(value, list):
        for inner in value:
            out += _dashboard_exprs(inner)
    return out


def corpus_queries(corpus: Path) -> tuple[dict[str, set[str]], set[str], int]:
    """metric name -> mixins that select it; names recorded by the corpus' rules; unparsable count."""
    names: dict[str, set[str]] = defaultdict(set)
    records: set[str] = set()
    bad = 0
    for mixin in sorted(p for p in corpus.iterdir() if p.is_dir()):
        exprs: list[str] = []
        for f in ("alerts.yaml", "rules.yaml"):
            if (mixin / f).is_file():
                e, r = _rule_exprs(mixin / f)
                exprs += e
                records |= r
        for f in sorted((mixin / "dashboards").glob("*")) if (mixin / "dashboards").is_dir() else []:
            try:
                exprs += _dashboard_exprs(json.loads(f.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        for expr in exprs:
            try:
                tree = parse(substitute(expr))
            except Exception:  # noqa: BLE001 - promql-parser raises a bare exception type
                bad += 1
                continue
            for sel in selectors(tree):
                if sel.name:
                    names[sel.name].add(mixin.name)
    return names, records, bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--catalog", action="append", help="catalog name (default: every shipped catalog)")
    parser.add_argument("--catalogs-dir", type=Path, default=SHIPPED_DIR)
    parser.add_argument("--show", type=int, default=40, help="misses to print per catalog")
    args = parser.parse_args(argv)
    names, records, bad = corpus_queries(args.corpus)
    print(f"corpus: {len(names)} metric names selected; {bad} expressions do not parse")
    for name in args.catalog or [p.stem for p in sorted(args.catalogs_dir.glob("*.yml"))]:
        catalog = load_yaml(args.catalogs_dir / f"{name}.yml")
        if not catalog.namespaces:
            continue
        series = catalog.series()
        queried = {n: m for n, m in names.items() if n.startswith(tuple(catalog.namespaces)) and n not in records}
        misses = {n: m for n, m in queried.items() if n not in series}
        print(f"{name}: {len(queried)} names queried in namespaces {', '.join(catalog.namespaces)}, "
              f"{len(queried) - len(misses)} known, {len(misses)} missing")
        for n in sorted(misses)[: args.show]:
            print(f"  missing {n}  ({', '.join(sorted(misses[n])[:4])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
