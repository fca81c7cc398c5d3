"""Reading one YAML mapping into an :class:`~obscode.importers.spec.Obj` by a table of the
fields obscode's model of it accepts. A field the model cannot express is an error at its
line (never dropped); a secret written literally becomes a ``SecretRef`` to a file, with a
comment saying what to put there."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from obscode.importers.problems import Collector
from obscode.importers.spec import Obj
from obscode.importers.yaml_lines import Mapping, Sequence
from obscode.model.duration import parse_duration
from obscode.model.secrets import SecretRef

_SLUG = re.compile(r"[^a-zA-Z0-9_.-]+")


@dataclass(frozen=True)
class Field:
    """How one input key is read: ``kind`` is text, duration, bool, int, texts (a list),
    mapping (of texts), secret, secret_file, object or objects (with ``read``), raw."""

    arg: str
    kind: str = "text"
    read: Callable[..., Obj | None] | None = None
    #: For secrets: what the value is, for the comment ("the Slack webhook URL").
    what: str = ""


@dataclass
class Context:
    file: str
    report: Collector
    #: Where literal secrets go: a folder path and a slug naming the object.
    secrets_dir: str
    slug: str = ""
    taken: set[str] | None = None

    def within(self, part: str) -> "Context":
        slug = f"{self.slug}-{part}" if self.slug else part
        return Context(self.file, self.report, self.secrets_dir, _SLUG.sub("-", slug).strip("-"), self.taken)

    def secret_path(self, name: str) -> str:
        """``<dir>/<object>.<field>``: the dot keeps a name like ``team2-slack`` from looking
        like a key itself (SecretRef refuses file names that do)."""
        assert self.taken is not None
        base = f"{self.secrets_dir}/{f'{self.slug}.{name}' if self.slug else name}"
        path, n = base, 1
        while path in self.taken:
            n += 1
            path = f"{base}-{n}"
        self.taken.add(path)
        return path


def _scalar_text(data: Mapping, key: str) -> Any:
    return data.text(key)


def read_object(data: Any, cls: type, table: dict[str, Field], ctx: Context, line: int, what: str) -> Obj | None:
    """``data`` read by ``table`` into ``cls``; every unknown field and bad value reported."""
    if not isinstance(data, Mapping):
        ctx.report.error(ctx.file, line, f"{what} must be a mapping")
        return None
    kwargs: list[tuple[str, Any]] = []
    ok = True
    for key in data:
        spec = table.get(key)
        where = data.line_of(key)
        if spec is None:
            known = ", ".join(sorted(table))
            ctx.report.error(ctx.file, where, f"{what}: field {key!r} cannot be expressed by obscode's "
                             f"{cls.__name__} (it takes: {known}); remove it or add it to the stack by hand later")
            ok = False
            continue
        value = data.get(key)
        if value is None:
            continue
        converted = _convert(data, key, spec, ctx, where, f"{what}, field {key!r}")
        if converted is _BAD:
            ok = False
            continue
        kwargs.append((spec.arg, converted))
    if not ok:
        return None
    return Obj(cls, kwargs, ctx.file, data.line)


_BAD = object()


def _convert(data: Mapping, key: str, spec: Field, ctx: Context, line: int, what: str) -> Any:
    value = data.get(key)
    report, file = ctx.report, ctx.file
    if spec.kind == "raw":
        return value
    if spec.kind == "text":
        if isinstance(value, (dict, list)):
            report.error(file, line, f"{what} must be a text")
            return _BAD
        return _scalar_text(data, key)
    if spec.kind == "duration":
        text = _scalar_text(data, key)
        try:
            parse_duration(str(text))
        except ValueError as exc:
            report.error(file, line, f"{what}: {exc}")
            return _BAD
        return str(text)
    if spec.kind == "bool":
        if not isinstance(value, bool):
            report.error(file, line, f"{what} must be true or false")
            return _BAD
        return value
    if spec.kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            report.error(file, line, f"{what} must be a whole number")
            return _BAD
        return value
    if spec.kind == "texts":
        if not isinstance(value, list) or any(isinstance(v, (dict, list)) for v in value):
            report.error(file, line, f"{what} must be a list of texts")
            return _BAD
        return [str(v) for v in value]
    if spec.kind == "mapping":
        if not isinstance(value, Mapping) or any(isinstance(v, (dict, list)) for v in value.values()):
            report.error(file, line, f"{what} must be a mapping of names to texts")
            return _BAD
        return {str(k): value.text(k) for k in value}
    if spec.kind in ("secret", "secret_file"):
        if isinstance(value, (dict, list)):
            report.error(file, line, f"{what} must be a text")
            return _BAD
        if spec.kind == "secret_file":
            return Obj(SecretRef, [("file", str(value))], file, line)
        where = f"{file.rsplit('/', 1)[-1]}:{line}"
        path = ctx.secret_path(spec.arg.replace("_", "-"))
        comment = (f"Put {spec.what} in this file (the value alone): the input had it written literally "
                   f"({where}), and secrets never go into code or generated files.")
        return Obj(SecretRef, [("file", path)], file, line, comment=comment)
    if spec.kind == "object":
        assert spec.read is not None
        return spec.read(value, ctx, line) or _BAD
    if spec.kind == "objects":
        assert spec.read is not None
        if not isinstance(value, Sequence):
            report.error(file, line, f"{what} must be a list")
            return _BAD
        items = [spec.read(item, ctx, value.line_of(i), i) for i, item in enumerate(value)]
        return _BAD if any(i is None for i in items) else items
    raise ValueError(f"unknown field kind {spec.kind}")
