"""The Quantis forecasting platform: the reference stack.

Thresholds, selectors and addresses live in ``config.py``; this module assembles them.
"""

from obscode import Stack
from obscode.model.logs import LogsConfig

from .alert_tests import alert_tests
from .alerts import with_slo_owners
from .config import CONFIG
from .dashboards import dashboards
from .kubernetes import kubernetes
from .routing import alertmanager
from .rule_files import rule_files
from .scrape import prometheus
from .slos import slos

stack = Stack(
    name="quantis",
    prometheus=prometheus(CONFIG),
    rule_files=rule_files(CONFIG),
    alert_tests=alert_tests(CONFIG),
    alertmanager=alertmanager(CONFIG),
    dashboards=dashboards(CONFIG),
    job_catalogs={job: list(refs) for job, refs in CONFIG.job_catalogs},
    allowed_severities=list(CONFIG.allowed_severities),
    require_runbook_url=CONFIG.require_runbook_url,
    slos=with_slo_owners(CONFIG, slos(CONFIG)),
    logs=LogsConfig(),  # JSON logs to ELK with the defaults (generated/quantis/elk/)
    # The same rules, routes and dashboards as prometheus-operator objects (generated/quantis/kubernetes/),
    # and the SLOs as OpenSLO v1 documents (generated/quantis/openslo/).
    outputs=["prometheus", "alertmanager", "grafana", "elk", "kubernetes", "openslo"],
    kubernetes=kubernetes(CONFIG),
)

from .profiles import profiles  # noqa: E402  (`obscode generate --profile local`)
