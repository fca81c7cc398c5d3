"""Typed models of the rule files other rulers read, strict (an unknown field is an error, as
``mimirtool rules load`` makes it): the Prometheus rule group and rule as upstream's rulefmt
documents them, which the Thanos and Mimir formats extend with their own group fields. No
Thanos or mimirtool runs where obscode runs, so the serialisers validate what they write with
these, and the tool runner checks the Prometheus part with promtool (docs/thanos-mimir.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

#: Group fields only one ruler reads: removed before promtool checks a Thanos or Mimir file
#: (promtool refuses them), and never written to the plain Prometheus output.
RULER_ONLY_FIELDS = ("partial_response_strategy", "source_tenants")


class StrictFormat(BaseModel):
    """Base of the file format models: unknown fields refused."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PromRule(StrictFormat):
    """One rule of a Prometheus rule file: ``record`` or ``alert``, with ``expr``."""

    record: str | None = None
    alert: str | None = None
    expr: str
    for_: str | None = Field(default=None, alias="for")
    keep_firing_for: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class PromGroup(StrictFormat):
    """A Prometheus rule group (rulefmt.RuleGroup)."""

    name: str
    interval: str | None = None
    query_offset: str | None = None
    limit: int | None = None
    rules: list[PromRule]


def without_ruler_fields(group: dict[str, Any]) -> dict[str, Any]:
    """``group`` as Prometheus reads it: the Thanos and Mimir group fields left out."""
    return {key: value for key, value in group.items() if key not in RULER_ONLY_FIELDS}


def validated(model: type[BaseModel], data: dict[str, Any], what: str) -> dict[str, Any]:
    """``data`` unchanged when ``model`` accepts it; otherwise ``ValueError`` naming ``what``
    and the first field at fault (a serialiser bug, reported as a definition error)."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"{what} does not match the {model.__name__} format at {where}: {first['msg']}") from None
    return data
