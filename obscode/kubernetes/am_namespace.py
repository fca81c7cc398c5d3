"""The matcher prometheus-operator puts in front of an AlertmanagerConfig, and where alerts
get the label it reads.

With the Alertmanager's ``alertmanagerConfigMatcherStrategy`` ``OnNamespace`` (the default),
the operator adds ``namespace="<the AlertmanagerConfig's namespace>"`` to the
AlertmanagerConfig's top route and to both sides of its inhibit rules (and forces the top
route's ``continue``): an alert without that label value reaches none of the stack's routes.
``OnNamespaceExceptForAlertmanagerNamespace`` does the same unless the AlertmanagerConfig lives
in the Alertmanager's namespace; ``None`` adds nothing.

Alerts carry ``namespace`` from the series they are computed from (a ServiceMonitor or
PodMonitor gives every target ``namespace``, ``pod``, ``service``/``container`` and
``endpoint``: the namespace is known offline only when the monitor looks in one namespace),
from ``PrometheusTarget.enforced_namespace_label`` (the operator gives every alert of a
PrometheusRule that label, valued with the rule's namespace), or from the rule's labels."""

from __future__ import annotations

from dataclasses import dataclass

from obscode.model.alertmanager import Matcher
from obscode.model.kubernetes import AlertmanagerTarget, KubernetesSettings
from obscode.stack import Stack

#: The label the operator's matcher reads.
NAMESPACE = "namespace"


@dataclass(frozen=True)
class NamespaceMatcher:
    """The matcher the operator adds, and why."""

    matcher: Matcher
    strategy: str
    #: The AlertmanagerConfig's namespace.
    namespace: str

    def describe(self) -> str:
        return (f"the operator adds {self.matcher} to the AlertmanagerConfig's routes and inhibit rules "
                f"(alertmanagerConfigMatcherStrategy {self.strategy}): only alerts carrying it reach them")


def writes_kubernetes(stack: Stack) -> KubernetesSettings | None:
    """The stack's Kubernetes settings when it writes the ``kubernetes`` output."""
    return stack.kubernetes if "kubernetes" in stack.outputs and stack.kubernetes is not None else None


def namespace_matcher(stack: Stack) -> NamespaceMatcher | None:
    """The ``namespace`` matcher the operator adds in front of the stack's routes, or None
    (no kubernetes output, no Alertmanager configuration, or a strategy that adds none)."""
    settings = writes_kubernetes(stack)
    if settings is None or stack.alertmanager is None:
        return None
    target = settings.alertmanager or AlertmanagerTarget()
    if target.matcher_strategy == "None":
        return None
    if target.matcher_strategy == "OnNamespaceExceptForAlertmanagerNamespace" and target.namespace == settings.namespace:
        return None
    return NamespaceMatcher(Matcher(name=NAMESPACE, op="=", value=settings.namespace), target.matcher_strategy,
                            settings.namespace)


def enforced_label(stack: Stack) -> tuple[str, str] | None:
    """``(label, value)`` the operator gives every alert of the stack's PrometheusRules
    (``PrometheusTarget.enforced_namespace_label``), or None."""
    settings = writes_kubernetes(stack)
    if settings is None or settings.prometheus is None or not settings.prometheus.enforced_namespace_label:
        return None
    return settings.prometheus.enforced_namespace_label, settings.namespace


#: The target labels the operator gives every series a monitor scrapes.
TARGET_LABELS = {"ServiceMonitor": ("namespace", "service", "pod", "container", "endpoint"),
                 "PodMonitor": ("namespace", "pod", "container", "endpoint")}


def monitor_labels(stack: Stack) -> dict[str, tuple[str, ...]]:
    """Job -> the target labels its ServiceMonitor or PodMonitor adds (values known at run time)."""
    settings = writes_kubernetes(stack)
    return {job: TARGET_LABELS[monitor.type] for job, monitor in settings.monitors.items()} if settings else {}


def monitored_namespaces(stack: Stack) -> dict[str, str | None]:
    """Job -> the one namespace its ServiceMonitor/PodMonitor scrapes (None: several or any),
    for the jobs the operator scrapes through a monitor."""
    settings = writes_kubernetes(stack)
    if settings is None:
        return {}
    out: dict[str, str | None] = {}
    for job, monitor in settings.monitors.items():
        if monitor.any_namespace or len(monitor.namespaces) > 1:
            out[job] = None
        else:  # no namespaces: the monitor's own
            out[job] = monitor.namespaces[0] if monitor.namespaces else settings.namespace
    return out
