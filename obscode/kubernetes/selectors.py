"""Would the target Prometheus and Alertmanager pick the generated objects up?

prometheus-operator loads a PrometheusRule, ServiceMonitor, PodMonitor or ScrapeConfig into a
``Prometheus`` (and an AlertmanagerConfig into an ``Alertmanager``) only when the resource's
object selector matches the object's labels and its namespace selector matches the labels of
the object's namespace. The operator's semantics: an object selector left null selects
nothing, ``{}`` everything; a namespace selector left null means the resource's own namespace
only, ``{}`` every namespace. An object nobody selects is silently ignored: rules that never
fire, targets never scraped. :func:`unselected` says which, why, and what to change."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from obscode.model.kubernetes import AlertmanagerTarget, KubernetesSettings, LabelSelector, PrometheusTarget

#: The label obscode puts on every object; a selector must allow it.
PART_OF = "app.kubernetes.io/part-of"


@dataclass(frozen=True)
class Selection:
    """How the operator selects one kind: the target resource's two selector fields (the
    model's attribute names), the KubernetesSettings field that labels objects of the kind,
    and what is lost when an object is not selected."""

    target: str
    selector: str
    namespace_selector: str
    labels_setting: str
    lost: str


#: kind → how the operator selects it.
SELECTIONS: dict[str, Selection] = {
    "PrometheusRule": Selection("prometheus", "rule_selector", "rule_namespace_selector", "rule_labels",
                                "its rules are never evaluated"),
    "ServiceMonitor": Selection("prometheus", "service_monitor_selector", "service_monitor_namespace_selector",
                                "monitor_labels", "its targets are never scraped"),
    "PodMonitor": Selection("prometheus", "pod_monitor_selector", "pod_monitor_namespace_selector",
                            "monitor_labels", "its targets are never scraped"),
    "ScrapeConfig": Selection("prometheus", "scrape_config_selector", "scrape_config_namespace_selector",
                              "monitor_labels", "its targets are never scraped"),
    "AlertmanagerConfig": Selection("alertmanager", "alertmanager_config_selector",
                                    "alertmanager_config_namespace_selector", "alertmanager_config_labels",
                                    "its routes, receivers and inhibit rules are never loaded"),
}


@dataclass(frozen=True)
class Unselected:
    """One object a target does not select: where it is, which field is at fault
    (``metadata.labels`` or ``metadata.namespace``) and the message, which names the selector
    and the fix."""

    path: str
    kind: str
    name: str
    field: str
    message: str


def camel(field: str) -> str:
    """``rule_namespace_selector`` → ``ruleNamespaceSelector`` (the field in the resource's spec)."""
    head, *rest = field.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _resource_kind(target: PrometheusTarget | AlertmanagerTarget) -> str:
    return "Prometheus" if isinstance(target, PrometheusTarget) else "Alertmanager"


def _dict(labels: dict[str, str]) -> str:
    """``{"release": "kps"}``: how the stack writes the labels."""
    return json.dumps(labels, ensure_ascii=False)


@dataclass
class _Needs:
    """What a set of labels lacks for a selector: labels to add (or change), labels that must
    have some value, and labels to remove."""

    add: dict[str, str]
    any_value: list[str]
    remove: list[str]


def _needs(selector: LabelSelector, labels: dict[str, str]) -> _Needs:
    needs = _Needs({}, [], [])
    for key, value in selector.match_labels.items():
        if labels.get(key) != value:
            needs.add[key] = value
    for req in selector.match_expressions:
        if req.matches(labels):
            continue
        if req.operator == "In":
            needs.add.setdefault(req.key, req.values[0])
        elif req.operator == "Exists":
            needs.any_value.append(req.key)
        else:  # NotIn, DoesNotExist: the label is there and must go (or change)
            needs.remove.append(req.key)
    return needs


def _lacks(needs: _Needs, labels: dict[str, str]) -> str:
    """``it lacks label release=kps`` / ``it carries release=a, not release=b``."""
    parts = []
    missing = [f"{k}={v}" for k, v in needs.add.items() if k not in labels]
    missing += [f"{k} (any value)" for k in needs.any_value]
    if missing:
        parts.append(f"it lacks label{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    parts += [f"it carries {k}={labels[k]}, not {k}={v}" for k, v in needs.add.items() if k in labels]
    parts += [f"it carries {k}={labels[k]}, which the selector excludes" for k in needs.remove]
    return " and ".join(parts)


def _removal(key: str, settings: KubernetesSettings, setting: str) -> str:
    if key in getattr(settings, setting):
        return f"remove {key!r} from {setting}"
    if key in settings.labels:
        return f"remove {key!r} from labels"
    if key == PART_OF:
        return f"obscode puts {PART_OF} on every object: change the selector to allow it"
    return f"remove label {key!r}"


def _object_fix(needs: _Needs, settings: KubernetesSettings, setting: str) -> str:
    fixes = []
    wanted = {**needs.add, **{k: "<any value>" for k in needs.any_value}}
    if wanted:
        fixes.append(f"add {setting}={_dict(wanted)}")
    fixes += [_removal(key, settings, setting) for key in needs.remove]
    return "; ".join(fixes)


def _namespace_fix(needs: _Needs, namespace: str) -> str:
    wanted = {**needs.add, **{k: "<any value>" for k in needs.any_value}}
    fixes = []
    if wanted:
        pairs = " ".join(f"{k}={v}" for k, v in wanted.items())
        fixes.append(f"label the namespace (kubectl label namespace {namespace} {pairs}) and declare it with "
                     f"namespace_labels={_dict(wanted)}")
    fixes += [f"remove label {key!r} from namespace {namespace} and from namespace_labels" for key in needs.remove]
    return "; ".join(fixes)


def _labels_text(labels: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def check_object(path: str, obj: dict[str, Any], settings: KubernetesSettings) -> list[Unselected]:
    """Why the target of ``obj``'s kind would not select it (``[]``: it would, or the kind
    has no target, or the stack declares none)."""
    selection = SELECTIONS.get(obj.get("kind", ""))
    if selection is None:
        return []
    target: PrometheusTarget | AlertmanagerTarget | None = getattr(settings, selection.target)
    if target is None:
        return []
    kind = obj["kind"]
    meta = obj.get("metadata") or {}
    name = meta.get("name", "")
    labels: dict[str, str] = meta.get("labels") or {}
    namespace = meta.get("namespace") or settings.namespace
    resource = _resource_kind(target)
    where = f"{resource} {target.namespace}/{target.name}"
    found: list[Unselected] = []

    def report(field: str, message: str) -> None:
        found.append(Unselected(path=path, kind=kind, name=name, field=field, message=message))

    key = camel(selection.selector)
    selector: LabelSelector | None = getattr(target, selection.selector)
    if selector is None:
        report("metadata.labels",
               f"{key} of {where} is null, which selects no {kind} at all, so {selection.lost}: set "
               f"spec.{key} on the {resource} (matchLabels the objects carry, or {{}} for every {kind})")
    elif not selector.matches(labels):
        needs = _needs(selector, labels)
        report("metadata.labels",
               f"{key} of {where}: {selector.text()} does not select it: {_lacks(needs, labels)}, so "
               f"{selection.lost}; {_object_fix(needs, settings, selection.labels_setting)}")

    ns_key = camel(selection.namespace_selector)
    ns_selector: LabelSelector | None = getattr(target, selection.namespace_selector)
    if ns_selector is None:
        if namespace != target.namespace:
            report("metadata.namespace",
                   f"{ns_key} of {where} is null, which selects {kind}s in its own namespace {target.namespace} "
                   f"only, and this one is in namespace {namespace}, so {selection.lost}: set "
                   f"namespace={json.dumps(target.namespace)} in KubernetesSettings, or set spec.{ns_key} on the "
                   f"{resource} (matchLabels of namespace {namespace}, or {{}} for every namespace)")
    else:
        ns_labels = (settings.all_namespace_labels() if namespace == settings.namespace
                     else {"kubernetes.io/metadata.name": namespace})
        if not ns_selector.matches(ns_labels):
            needs = _needs(ns_selector, ns_labels)
            report("metadata.namespace",
                   f"{ns_key} of {where}: {ns_selector.text()} does not select namespace {namespace} (its "
                   f"labels: {_labels_text(ns_labels)}), so {selection.lost}; {_namespace_fix(needs, namespace)}")
    return found


def unselected(objects: dict[str, dict[str, Any]], settings: KubernetesSettings) -> list[Unselected]:
    """Every generated object (``{path: object}``) its target would not select, with why."""
    return [miss for path, obj in sorted(objects.items()) if isinstance(obj, dict)
            for miss in check_object(path, obj, settings)]
