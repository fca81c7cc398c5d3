"""``routing/tree``: every route of the tree can be reached, and its timers make sense.

Warnings: a route an earlier sibling shadows (the sibling has no ``continue`` and its
matchers are a subset of this route's, so it takes every alert first; a sibling without
matchers takes all); a route no alert of the stack reaches (its matchers each match some
alert, but not together, or not after its ancestors and earlier siblings took them);
``continue`` on a route with no later sibling (it changes nothing); ``repeat_interval``
shorter than ``group_interval`` (Alertmanager repeats only at group flushes) and
``group_wait`` longer than ``group_interval``. Timers are inherited as Alertmanager does
(defaults 30s, 5m, 4h)."""

from __future__ import annotations

from collections.abc import Iterator

from obscode.checks import CheckContext, Problem
from obscode.checks._routing import ALERTMANAGER_FILE, alert_shapes, matcher_problem
from obscode.model.alertmanager import Route
from obscode.model.duration import parse_duration

CHECK_ID = "routing/tree"
DEFAULT_TIMERS = {"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"}


def _problem(ctx: CheckContext, path: str, route: Route, field: str, message: str) -> Problem:
    return Problem(check=CHECK_ID, stack=ctx.name, file=ALERTMANAGER_FILE, obj=f"{path} {route.describe_path()}",
                   field=field, message=message, severity="warning", source=route.source)


def _shadowed(ctx: CheckContext, path: str, node: Route) -> Iterator[Problem]:
    for later_index, later in enumerate(node.routes):
        later_set = {str(m) for m in later.matchers}
        for earlier_index, earlier in enumerate(node.routes[:later_index]):
            if earlier.continue_ or not {str(m) for m in earlier.matchers} <= later_set:
                continue
            what = ("has no matchers, so it takes every alert" if not earlier.matchers else
                    f"matches {earlier.describe_path()}, part of this route's matchers, so it takes every alert "
                    "this route would")
            yield _problem(ctx, f"{path}.routes[{later_index}]", later, "matchers",
                           f"never reached: {path}.routes[{earlier_index}] before it {what}, and has no continue; "
                           "reorder the routes or give the earlier one continue=True")
            break


def _timers(ctx: CheckContext, path: str, route: Route, inherited: dict[str, str]) -> tuple[dict[str, str], list[Problem]]:
    timers = {name: getattr(route, name) or inherited[name] for name in DEFAULT_TIMERS}
    own = any(getattr(route, name) for name in DEFAULT_TIMERS)
    found = []
    if own:
        wait, interval, repeat = (parse_duration(timers[n]) for n in ("group_wait", "group_interval", "repeat_interval"))
        if repeat < interval:
            found.append(_problem(ctx, path, route, "repeat_interval",
                                  f"repeat_interval {timers['repeat_interval']} is shorter than group_interval "
                                  f"{timers['group_interval']}: notifications repeat only when the group is flushed, "
                                  f"so every {timers['group_interval']} at most"))
        if wait > interval:
            found.append(_problem(ctx, path, route, "group_wait",
                                  f"group_wait {timers['group_wait']} is longer than group_interval "
                                  f"{timers['group_interval']}: the first notification waits longer than any later one"))
    return timers, found


def run(ctx: CheckContext) -> Iterator[Problem]:
    config = ctx.stack.alertmanager
    if config is None:
        return
    alerts = alert_shapes(ctx) if ctx.stack.alerts() else []
    reached: set[str] = set()  # every route some alert may enter (not only those that deliver it)
    for alert in alerts:
        _mark_passed(config.route, "route", alert, reached)

    def visit(node: Route, path: str, inherited: dict[str, str]) -> Iterator[Problem]:
        timers, found = _timers(ctx, path, node, inherited)
        yield from found
        yield from _shadowed(ctx, path, node)
        for index, child in enumerate(node.routes):
            child_path = f"{path}.routes[{index}]"
            if child.continue_ and index == len(node.routes) - 1:
                yield _problem(ctx, child_path, child, "continue",
                               "continue=True on the last route of its level changes nothing: no sibling follows")
            if alerts and child_path not in reached and not any(matcher_problem(m, alerts) for m in child.matchers):
                yield _problem(ctx, child_path, child, "matchers",
                               f"no alert of the stack reaches this route: none matches {child.describe_path()} "
                               "after its parent and earlier siblings took theirs")
            yield from visit(child, child_path, timers)

    yield from visit(config.route, "route", dict(DEFAULT_TIMERS))


def _mark_passed(node: Route, path: str, alert: object, reached: set[str]) -> None:
    """Mark every route an alert may enter (not only those that deliver it)."""
    from obscode.alert_labels import Truth

    reached.add(path)
    for index, child in enumerate(node.routes):
        truth = alert.matches_all(child.matchers)  # type: ignore[attr-defined]
        if truth is Truth.NO:
            continue
        _mark_passed(child, f"{path}.routes[{index}]", alert, reached)
        if truth is Truth.YES and not child.continue_:
            break
