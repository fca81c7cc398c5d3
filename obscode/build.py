"""Load, render and check stacks: the pipeline behind generate, check and diff."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from obscode import emit, loader
from obscode.checks import CheckContext, Problem, run_checks
from obscode.emit.rendered import Rendered
from obscode.errors import DefinitionError
from obscode.tools import run_tools


@dataclass
class Built:
    loaded: loader.LoadedStack
    rendered: Rendered

    @property
    def files(self) -> dict[str, bytes]:
        """The files ``generate`` writes (the stack's ``outputs``)."""
        return self.rendered.written

    @property
    def name(self) -> str:
        return self.loaded.stack.name

    def context(self) -> CheckContext:
        return CheckContext(stack=self.loaded.stack, files=self.rendered.files, output=self.rendered)

    def check(self) -> list[Problem]:
        return run_checks(self.context())

    def run_tools(self) -> tuple[list[Problem], list[str]]:
        """promtool and amtool on the output, where they can judge the targeted releases."""
        stack = self.loaded.stack
        return run_tools(self.name, self.rendered.files, {"promtool": stack.prometheus_version,
                                                 "amtool": stack.alertmanager_version}, stack)


def stack_args(args: tuple[str, ...] | list[str]) -> list[str]:
    """The stacks named on the command line, or every folder under stacks/."""
    if args:
        return list(args)
    return [str(p) for p in loader.discover()]


def load(arg: str | Path, profile: str | None = None) -> loader.LoadedStack:
    """Import a stack, and hold its name to its folder: ``stacks/shop/`` must build
    ``Stack(name="shop")``, or ``generate`` would write ``generated/<another name>/`` and leave
    ``generated/shop/`` stale."""
    loaded = loader.load(arg, profile=profile)
    if loaded.path.is_dir() and loaded.stack.name != loaded.path.name:
        raise DefinitionError(obj=f"stack {loaded.stack.name}", field="name", stack=loaded.path.name,
                              source=loaded.stack.source,
                              message=f"the stack in folder {loaded.path.name}/ is named {loaded.stack.name!r}: "
                                      f"name it {loaded.path.name!r}, or rename the folder (the output goes "
                                      f"to generated/<name>/)")
    return loaded


def build(arg: str | Path, profile: str | None = None) -> Built:
    loaded = load(arg, profile=profile)
    try:
        rendered = emit.render_stack(loaded.stack)
    except DefinitionError as exc:
        exc.stack = exc.stack or loaded.stack.name
        raise
    return Built(loaded=loaded, rendered=rendered)
