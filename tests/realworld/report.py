"""The figures section of docs/real-world.md, rendered from :class:`harness.Figures`."""

from __future__ import annotations

from typing import Any

from tests.realworld.harness import Figures

BEGIN = "<!-- figures: written by scripts/real_world.py; do not edit by hand -->"
END = "<!-- end of figures -->"


def classified(figures: Figures, classification: dict[tuple[str, str, str], dict[str, Any]]) -> tuple[int, int, int]:
    """(true, false, unclassified) among the error findings of this run."""
    true = false = missing = 0
    for key in figures.errors:
        entry = classification.get(key)
        if entry is None or entry.get("verdict") not in (True, False):
            missing += 1
        elif entry["verdict"]:
            true += 1
        else:
            false += 1
    return true, false, missing


def render(figures: Figures, classification: dict[tuple[str, str, str], dict[str, Any]]) -> str:
    lines = [
        "| what | count |", "| --- | ---: |",
        f"| mixins | {figures.mixins} |",
        f"| rule files (alerts.yaml, rules.yaml holding rules) | {figures.rule_files} |",
        f"| dashboards | {figures.dashboards} |",
        f"| rules in the input | {figures.rules_in_input} |",
        f"| rules imported (and written back by `obscode generate`) | {figures.rules_imported} |",
        f"| imports that failed | {len(figures.import_failures)} |",
        f"| round-trip differences | {len(figures.roundtrip_differences)} |",
        "",
    ]
    if figures.import_failures:
        lines += ["Imports that failed:", ""] + [f"- {line}" for line in figures.import_failures] + [""]
    if figures.roundtrip_differences:
        lines += ["Round-trip differences:", ""] + [f"- {line}" for line in figures.roundtrip_differences] + [""]
    lines += ["Findings of `obscode check` (with promtool), by check: a finding is one cause, reported once "
              "with its places; problems counts every place.", "",
              "| check | error findings | error problems | warning findings | warning problems |",
              "| --- | ---: | ---: | ---: | ---: |"]
    checks = sorted({check for check, _ in figures.problems})
    for check in checks:
        lines.append(f"| `{check}` | {figures.findings[(check, 'error')]} | {figures.problems[(check, 'error')]} "
                     f"| {figures.findings[(check, 'warning')]} | {figures.problems[(check, 'warning')]} |")
    total_errors = sum(v for (c, s), v in figures.findings.items() if s == "error")
    total_warnings = sum(v for (c, s), v in figures.findings.items() if s == "warning")
    lines += [f"| all | {total_errors} | {sum(v for (c, s), v in figures.problems.items() if s == 'error')} "
              f"| {total_warnings} | {sum(v for (c, s), v in figures.problems.items() if s == 'warning')} |", ""]
    true, false, missing = classified(figures, classification)
    share = f"{100 * true / (true + false):.1f}%" if true + false else "n/a"
    lines += ["Error findings classified by hand (tests/realworld/classification.yaml):", "",
              "| true | false | not classified | share true |", "| ---: | ---: | ---: | ---: |",
              f"| {true} | {false} | {missing} | {share} |", ""]
    return "\n".join(lines)


def replace_figures(text: str, figures: str) -> str:
    if BEGIN not in text or END not in text:
        return text.rstrip("\n") + f"\n\n{BEGIN}\n{figures}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{figures}\n{END}{tail}"
