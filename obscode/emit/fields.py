"""Models to plain data by walking their fields: how every serialiser turns a definition into
what it writes, so a field (or a receiver integration) added to a model is written without an
edit here or in the serialiser.

The walk writes a model's fields in declaration order, each under its alias or its name, and:

- leaves out ``exclude=True`` fields (``ignore``), fields whose value is ``None``, and fields
  still at an empty default (``False``, ``""``, ``[]``, ``{}``, or a default model whose walk
  writes nothing, like Alertmanager's ``global``);
- writes a :class:`~obscode.model.secrets.SecretRef` as ``<name>_file`` holding its path (a
  field already named ``*_file`` keeps its name; the consumer cannot expand ``env=``
  references: :func:`~obscode.model.secrets.file_only` refuses them);
- recurses into models, lists and mappings.

A field changes this through its ``json_schema_extra`` (the model says what the field is; the
walk needs no code per model):

- ``{"written": "always"}`` (:data:`ALWAYS`): written even at its empty default (``send_resolved:
  false``, promtool's ``exp_alerts: []``); ``None`` is still left out;
- ``{"path": "http_config.basic_auth.password"}``: written under that dotted path instead of its
  own name (``_file`` is added to the last part for a secret); fields sharing a prefix share the
  mapping, placed where the first of them is.

What a format needs beyond this (legacy syntax, values from the stack) is a small step in its
serialiser, after the walk.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from obscode.model.secrets import SecretRef, file_only

#: ``json_schema_extra`` of a field written even when it holds its (empty) default.
ALWAYS: dict[str, Any] = {"written": "always"}

#: ``{type: function}``: values of a type written as the function returns them (Matcher -> its text).
Converters = Mapping[type, Callable[[Any], Any]]


def data(model: BaseModel, consumer: str, *, convert: Converters | None = None,
         skip: Collection[str] = ()) -> dict[str, Any]:
    """``model`` as the plain mapping ``consumer`` (e.g. "Alertmanager", named in errors about
    secrets) reads; ``skip`` names fields another output writes (not this one)."""
    out: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        if info.exclude or name in skip:
            continue
        value = getattr(model, name)
        extra = _extra(info)
        always = extra.get("written") == "always"
        if value is None or (not always and _at_empty_default(value, info)):
            continue
        path = extra.get("path") or info.alias or name
        if isinstance(value, SecretRef):
            _put(out, path if path.endswith("_file") else f"{path}_file", file_only(value, consumer))
            continue
        plain = _plain(value, consumer, convert or {})
        if isinstance(value, BaseModel) and plain == {} and not always and info.default_factory is not None:
            continue
        _put(out, path, plain)
    return out


def written_path(info: FieldInfo) -> str | None:
    """The dotted path a field declares it is written under, if any."""
    return _extra(info).get("path")


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def _at_empty_default(value: Any, info: FieldInfo) -> bool:
    if info.is_required():
        return False
    if info.default_factory is not None:
        default = info.default_factory() if info.default_factory in (list, dict) else None
    else:
        default = info.default
    empty = default is False or (isinstance(default, (str, list, dict)) and not default)
    return empty and value == default and type(value) is type(default)


def _plain(value: Any, consumer: str, convert: Converters) -> Any:
    for kind, function in convert.items():
        if isinstance(value, kind):
            return function(value)
    if isinstance(value, BaseModel):
        return data(value, consumer, convert=convert)
    if isinstance(value, (list, tuple)):
        return [_plain(v, consumer, convert) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v, consumer, convert) for k, v in value.items()}
    return value


def _put(out: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        out = out.setdefault(part, {})
    out[last] = value
