"""The Quantis Grafana dashboards, one module each, built with grafanalib.

Selectors and thresholds come from ``config.py``; obscode normalises the dashboards
and writes them to ``generated/quantis/grafana/dashboards/<uid>.json``. Every dashboard tagged
``models`` draws the model deployments and rollbacks as annotations.
"""

from __future__ import annotations

import attr
from grafanalib import core as g

from ..config import CONFIG
from . import (
    api_performance, data_quality, database, infrastructure, mlops, model_performance, security,
    system_overview, user_activity,
)

#: One module per dashboard, each with ``build(config) -> grafanalib Dashboard``.
MODULES = (system_overview, api_performance, database, infrastructure, model_performance,
           data_quality, mlops, security, user_activity)


#: Dashboards tagged so are about models: each draws the deployments and rollbacks.
MODEL_TAG = "models"


def dashboards(config=CONFIG) -> list[g.Dashboard]:
    built = (module.build(config) for module in MODULES)
    return [with_deployments(dashboard) if MODEL_TAG in dashboard.tags else dashboard
            for dashboard in built if dashboard is not None]


def deployment_annotations(model_filter: str = "") -> list[dict[str, object]]:
    """Grafana annotations from the model monitor's deployment counter: a successful deployment
    or rollback, titled with the version served after it (``model_info``), and a failed one.
    ``model_filter`` is a matcher list for ``model_id`` (e.g. ``model_id=~"$model_id"``)."""
    def events(outcome: str) -> str:
        selector = ", ".join(filter(None, [model_filter, f'outcome="{outcome}"']))
        return f"sum by (model_id, kind) (increase(model_deployments_total{{{selector}}}[1m])) > 0"

    served = f"max by (model_id, model_version) (model_info{{{model_filter}}} == 1)" if model_filter \
        else "max by (model_id, model_version) (model_info == 1)"
    common = {"datasource": None, "enable": True, "hide": False, "step": "1m", "useValueForTime": False}
    return [
        {**common, "name": "Deployments", "iconColor": "blue",
         "expr": f"({events('success')}) * on (model_id) group_left (model_version) {served}",
         "titleFormat": "{{kind}} of {{model_id}}", "textFormat": "now serving {{model_version}}",
         "tagKeys": "model_id,kind,model_version"},
        {**common, "name": "Failed deployments", "iconColor": "red", "expr": events("failure"),
         "titleFormat": "failed {{kind}} of {{model_id}}", "tagKeys": "model_id,kind"},
    ]


def with_deployments(dashboard: g.Dashboard) -> g.Dashboard:
    """``dashboard`` with the deployment annotations, filtered by its ``model_id`` variable if it has one."""
    names = {template.name for template in dashboard.templating.list}
    model_filter = 'model_id=~"$model_id"' if "model_id" in names else ""
    existing = list(dashboard.annotations.list) if dashboard.annotations else []
    return attr.evolve(dashboard, annotations=g.Annotations(list=[*existing, *deployment_annotations(model_filter)]))
