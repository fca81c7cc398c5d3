"""What every generated Kubernetes object shares: metadata, and the strict base of the typed
object models (unknown fields are errors, as the API server's structural schemas make them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from obscode.model.kubernetes import KubernetesSettings, LabelSelector, check_name


class KubeModel(BaseModel):
    """Base of the typed Kubernetes object models: camelCase aliases, unknown fields refused,
    ``data()`` the object as written (``None`` fields and empty defaults left out)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def data(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True, mode="json")


class ObjectMeta(KubeModel):
    name: str
    namespace: str
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class SelectorRequirement(KubeModel):
    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: list[str] = Field(default_factory=list)


class Selector(KubeModel):
    """``metav1.LabelSelector`` as written; the empty one selects everything (written ``{}``)."""

    match_labels: dict[str, str] = Field(default_factory=dict, alias="matchLabels")
    match_expressions: list[SelectorRequirement] = Field(default_factory=list, alias="matchExpressions")

    @classmethod
    def of(cls, selector: LabelSelector) -> "Selector":
        return cls.model_validate(selector.data())


class SecretKeySelector(KubeModel):
    """One key of a Secret (``name``) in the object's namespace; never the value."""

    name: str
    key: str


def metadata(settings: KubernetesSettings, stack: str, name: str, extra_labels: dict[str, str] | None = None,
             annotations: dict[str, str] | None = None) -> ObjectMeta:
    """The metadata of one object called ``name`` (a Kubernetes name) of ``stack``."""
    return ObjectMeta(name=check_name(name, "object name"), namespace=settings.namespace,
                      labels=settings.object_labels(stack, extra_labels), annotations=annotations or {})


def object_name(*parts: str) -> str:
    """A Kubernetes name from ``parts``: lower case, other characters as ``-``, at most 63."""
    import re

    name = re.sub(r"[^a-z0-9-]+", "-", "-".join(p for p in parts if p).lower()).strip("-")
    return name[:63].rstrip("-") or "obscode"
