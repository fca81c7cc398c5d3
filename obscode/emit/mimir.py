"""mimir/rules/<file>.yml: one Mimir (or Cortex) ruler namespace per rule file of the stack, in
the layout ``mimirtool rules load`` (and ``cortextool rules load``) reads: ``namespace:`` the
rule file's name, then its Prometheus ``groups``, a federated group carrying the
``source_tenants`` it queries (docs/thanos-mimir.md)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from obscode import paths
from obscode.emit._rule_format import PromGroup, StrictFormat, validated
from obscode.emit.prometheus import rule_file_data as prometheus_rule_file_data
from obscode.emit.yaml_out import dump, header_for
from obscode.errors import DefinitionError
from obscode.model.rules import RuleFile, RuleGroup
from obscode.stack import Stack

#: The name of this output in ``Stack.outputs``.
FORMAT = "mimir"


#: The characters of a Mimir / Cortex tenant ID (dskit's tenant.ValidTenantID).
_TENANT_ID = re.compile(r"^[A-Za-z0-9!_.*'()-]{1,150}$")


class MimirGroup(PromGroup):
    """A Mimir ruler group: a Prometheus group, and for a federated group its source tenants."""

    source_tenants: list[str] = Field(default_factory=list)


class MimirNamespace(StrictFormat):
    """A file of ``mimirtool rules load``: one namespace and its groups."""

    namespace: str
    groups: list[MimirGroup]


def namespace_data(rule_file: RuleFile) -> dict[str, Any]:
    """``rule_file`` as the Mimir namespace of the same name: ``{"namespace": ..., "groups": [...]}``."""
    groups = []
    for group, data in zip(rule_file.groups, prometheus_rule_file_data(rule_file)["groups"], strict=True):
        out = {key: value for key, value in data.items() if key != "rules"}
        if group.source_tenants:
            out["source_tenants"] = _source_tenants(group)
        out["rules"] = data["rules"]
        groups.append(out)
    return validated(MimirNamespace, {"namespace": rule_file.name, "groups": groups},
                     f"Mimir namespace {rule_file.name}")


def _source_tenants(group: RuleGroup) -> list[str]:
    """The group's tenants as Mimir takes them, or the definition error of the first it refuses."""
    for tenant in group.source_tenants:
        if not _TENANT_ID.match(tenant) or tenant in (".", ".."):
            raise DefinitionError(
                obj=f"rule group {group.name}", field="source_tenants", source=group.source,
                message=f"{tenant!r} is not a Mimir tenant ID: use 1 to 150 letters, digits and ! - _ . * ' ( ), "
                        "not '.' or '..'")
    return list(group.source_tenants)


def emit(stack: Stack) -> dict[str, bytes]:
    header = header_for(stack.name)
    return {paths.mimir_rule_file(rule_file.name): dump(namespace_data(rule_file), header)
            for rule_file in stack.rule_files}
