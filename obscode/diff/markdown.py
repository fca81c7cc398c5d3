"""A stack diff as Markdown for a pull-request comment."""

from __future__ import annotations

from obscode.diff.changes import SECTIONS, Change, FieldChange, StackDiff

_ICON = {"added": "➕", "removed": "➖", "changed": "✏️"}


def code(text: str) -> str:
    """Inline code that survives backticks and pipes inside PromQL or templates."""
    text = text.replace("\n", " ")
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render_field(change: Change, item: FieldChange) -> str:
    if change.section == "routes" and change.name == "reachability":
        line = f"{item.field} now reaches: **{item.after or 'nobody'}** (before: {item.before or 'nobody'})"
    elif item.field == "threshold":
        line = f"threshold on {code(item.subject or '')}: {code(item.before or '')} → {code(item.after or '')}"
    elif item.before is None and item.after is None:
        line = item.field
    elif item.before is None:
        line = f"{item.field}: {code(item.after or '')}" if change.action == "added" else \
            f"{item.field}: (none) → {code(item.after or '')}"
    elif item.after is None:
        line = f"{item.field}: {code(item.before)}" if change.action == "removed" else \
            f"{item.field}: {code(item.before)} → (none)"
    else:
        line = f"{item.field}: {code(item.before)} → {code(item.after)}"
    return line + (f" — {item.note}" if item.note else "")


def render_change(change: Change) -> list[str]:
    head = f"- {_ICON[change.action]} **{change.name}** {change.action}"
    if change.outputs:
        head += f" ({', '.join(change.outputs)})"
    if len(change.fields) == 1 and change.section != "routes":
        return [f"{head}: {render_field(change, change.fields[0])}"]
    return [head] + [f"  - {render_field(change, f)}" for f in change.fields]


def render_stack(diff: StackDiff, pictures: dict[str, list[str]] | None = None) -> str:
    """``pictures`` maps a dashboard change's name to picture paths to link under it."""
    lines = [f"### Stack `{diff.stack}`", ""]
    if not diff.changes:
        return "\n".join(lines + ["No changes to the generated configuration.", ""])
    for section in SECTIONS:
        items = diff.section(section)
        if not items:
            continue
        lines += [f"#### {section.capitalize()}", ""]
        for change in items:
            lines += render_change(change)
            for picture in (pictures or {}).get(change.name, []):
                lines.append(f"  - picture: [{picture}]({picture})")
        lines.append("")
    return "\n".join(lines)


def render(diffs: list[StackDiff], base: str, pictures: dict[str, list[str]] | None = None) -> str:
    total = sum(len(d.changes) for d in diffs)
    changed = sum(1 for d in diffs if d.changes)
    headline = (f"{total} change{'s' if total != 1 else ''} in {changed} stack{'s' if changed != 1 else ''}"
                if total else "No changes")
    unchanged = len(diffs) - changed
    if unchanged and total:
        headline += f" ({unchanged} more stack{'s' if unchanged != 1 else ''} unchanged)"
    lines = [f"## obscode diff against `{base}`", "", headline + ".", ""]
    return "\n".join(lines) + "\n" + "\n".join(render_stack(d, pictures) for d in diffs)
