"""Build obscode's shipped catalogs from the exporters' own repositories.

Usage (each REPO=GITDIR is a clone or bare git directory of that public repository)::

    python scripts/catalogs/build.py prometheus/node_exporter=GITDIR prometheus/client_golang=GITDIR ... \\
        [--only node-exporter] [--out obscode/catalogs]

A repository too large to clone is given file by file: OWNER/NAME@COMMIT:PATH=FILE (kubelet).

Each module (one per exporter, beside this file) reads the source at the newest release tag
(and a few older tags for since/until) and returns the families it found; this writes
``<out>/<name>.yml`` sorted, so the output only changes when the source does. Definitions
whose name is not static are printed as skipped, never guessed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

from gosrc import Git  # noqa: E402

import cadvisor  # noqa: E402
import go_exporter  # noqa: E402
import kube_state_metrics  # noqa: E402
import kubelet  # noqa: E402
import node_exporter  # noqa: E402
import postgres_exporter  # noqa: E402
import redis_exporter  # noqa: E402

MODULES = {m.NAME: m for m in (node_exporter, kube_state_metrics, kubelet, cadvisor, postgres_exporter, redis_exporter,
                                    *go_exporter.SPECS)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repos", nargs="+", metavar="OWNER/NAME=GITDIR|OWNER/NAME@COMMIT:PATH=FILE")
    parser.add_argument("--only", action="append", choices=sorted(MODULES), help="build only these catalogs")
    parser.add_argument("--out", default=str(HERE.parent.parent / "obscode" / "catalogs"))
    parser.add_argument("--pg-settings", metavar="FILE", help="postgres-exporter: take pg_settings_* families from "
                        "this catalog YAML or /metrics text of a real scrape")
    parser.add_argument("--pg-settings-source", default="", help="what --pg-settings is, for built_from")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every skipped definition")
    args = parser.parse_args(argv)
    repos: dict[str, Git] = {}
    for item in args.repos:
        name, sep, path = item.partition("=")
        if not sep:
            parser.error(f"{item!r}: give OWNER/NAME=GITDIR")
        if "@" in name and ":" in name:  # OWNER/NAME@COMMIT:PATH=FILE, one file of a repository
            repo, _, rest = name.partition("@")
            commit, _, inside = rest.partition(":")
            if not Path(path).is_file():
                parser.error(f"{item!r}: {path} is not a file")
            kubelet.SOURCES[inside] = (commit, path)
            repos.setdefault(repo, None)  # type: ignore[arg-type]
            continue
        if not Path(path).is_dir() or subprocess.run(["git", "--git-dir", path, "rev-parse", "--git-dir"],
                                                      capture_output=True).returncode != 0:
            parser.error(f"{name}: {path} is not a git directory (give a clone or a bare repository)")
        repos[name] = Git(path)
    out = Path(args.out)
    if args.pg_settings:
        postgres_exporter.load_settings(args.pg_settings, args.pg_settings_source or Path(args.pg_settings).name)
    for name in args.only or sorted(MODULES):
        module = MODULES[name]
        needs = [module.REPOSITORY] + list(getattr(module, "ALSO", ["prometheus/client_golang"]))
        missing = [r for r in needs if r not in repos]
        if missing:
            print(f"{name}: not built, needs {', '.join(missing)}", file=sys.stderr)
            continue
        built = module.build(repos)
        catalog = built.catalog()
        (out / f"{name}.yml").write_text(catalog.as_yaml(), encoding="utf-8")
        counts = {}
        for m in catalog.metrics:
            counts[m.collector or "-"] = counts.get(m.collector or "-", 0) + 1
        print(f"{name}: {len(catalog.metrics)} families, {len(catalog.collectors)} collectors, "
              f"{built.tag}; skipped {len(built.skipped)} definitions whose name is not static; "
              f"{len(built.typed_by_name)} typed by name (_total = counter)")
        if args.verbose:
            for line in built.skipped:
                print(f"  skipped: {line}")
            for line in built.typed_by_name:
                print(f"  typed by name: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
