"""``alerts/annotations``: every alert has a ``summary`` and a ``description``, a
``runbook_url`` when the stack sets ``require_runbook_url``, and every ``$labels.x`` its
annotations print survives the expression (otherwise it renders as an empty string).

Annotations see the labels of the expression's result, not the alert's own ``labels``."""

from __future__ import annotations

from collections.abc import Iterator

from obscode.checks import CheckContext, Problem
from obscode.checks.catalog_label import missing_label, template_labels
from obscode.promql import output_labels

CHECK_ID = "alerts/annotations"
REQUIRED = ("summary", "description")


def run(ctx: CheckContext) -> Iterator[Problem]:
    catalog = ctx.catalog_index
    required = REQUIRED + (("runbook_url",) if ctx.stack.require_runbook_url else ())
    for query in ctx.queries:
        if query.kind != "alert" or query.rule is None:
            continue
        rule = query.rule

        def problem(message: str, field: str, severity: str = "error") -> Problem:
            return Problem(check=CHECK_ID, stack=ctx.name, file=query.file, obj=query.obj, field=field,
                           message=message, severity=severity, source=query.source)  # type: ignore[arg-type]

        for name in required:
            if not rule.annotations.get(name, "").strip():
                why = " (the stack sets require_runbook_url)" if name == "runbook_url" else ""
                yield problem(f"annotation {name} is missing{why}; whoever is paged reads it first",
                              f"annotations.{name}")
        if query.ast is None:
            continue
        output = output_labels(query.ast, catalog.resolve)
        for name, text in sorted(rule.annotations.items()):
            for label in dict.fromkeys(template_labels(text)):
                found = missing_label(label, output, f"$labels.{label}; the expression's result does not "
                                                     "keep it, so it renders empty")
                if found:
                    yield problem(found[0], f"annotations.{name}", found[1])
