"""What the routing checks share: the alert shapes of a stack, and a suggestion for a
label name or value nobody carries."""

from __future__ import annotations

import re
from collections.abc import Iterable

from obscode import paths
from obscode.alert_labels import AlertShape, Truth, known_values
from obscode.checks import CheckContext
from obscode.model.alertmanager import Matcher
from obscode.model.text import suggest

ALERTMANAGER_FILE = paths.ALERTMANAGER_CONFIG


def alert_shapes(ctx: CheckContext) -> list[AlertShape]:
    """Every alert's label shape (computed once per check run)."""
    return ctx.alert_shapes


def listing(values: Iterable[str], limit: int = 12) -> str:
    items = sorted(set(values))
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "") if items else "none"


def positive(matcher: Matcher) -> bool:
    """Whether the matcher needs the label to be present (it does not match the empty value)."""
    return not matcher.matches({})


def matcher_problem(matcher: Matcher, alerts: list[AlertShape]) -> tuple[str, str] | None:
    """Why ``matcher`` cannot tell alerts of ``alerts`` apart, as (severity, message): a
    label no alert carries (error; a negative matcher on it holds for every alert: warning),
    or a value no alert has (error). None when some alert may satisfy it."""
    if not alerts:
        return None
    names = {n for a in alerts for n in a.names}
    carried = any(a.carries(matcher.name) is not Truth.NO for a in alerts)
    if not carried:
        hint = suggest(matcher.name, names)
        if positive(matcher):
            return "error", (f"matches label {matcher.name}, which no alert carries{hint} "
                             f"(labels alerts carry: {listing(names)})")
        return "warning", (f"{matcher} matches label {matcher.name}, which no alert carries, so it holds "
                           f"for every alert{hint} (labels alerts carry: {listing(names)})")
    if any(a.matches(matcher) is not Truth.NO for a in alerts):
        return _regex_part(matcher, alerts)
    values = {a.values[matcher.name] for a in alerts if matcher.name in a.values}
    hint = suggest(matcher.value, values) if matcher.op in ("=", "!=") else ""
    return "error", f"{matcher} matches no alert: {matcher.name} is only ever {listing(values)}{hint}"


_LITERAL = re.compile(r"^[A-Za-z0-9_.:/ -]+$")


def _regex_part(matcher: Matcher, alerts: list[AlertShape]) -> tuple[str, str] | None:
    """An alternative of ``a|b|c`` (plain words) that no alert's value equals, when every
    value of the label is known: a typo in one branch (``severity=~"critical|warnig"``)."""
    if matcher.op not in ("=~", "!~") or "|" not in matcher.value:
        return None
    values, complete = known_values(alerts, matcher.name)
    if not complete or not values:
        return None
    parts = matcher.value.split("|")
    if not all(_LITERAL.match(part) for part in parts):
        return None
    dead = [part for part in parts if part not in values]
    if not dead:
        return None
    part = dead[0]
    return "warning", (f"{matcher}: the alternative {part!r} matches no alert ({matcher.name} is only ever "
                       f"{listing(values)}){suggest(part, values)}")
