"""Every hand-written rule file of Quantis (the SLOs add their own)."""

from __future__ import annotations

from obscode import RuleFile

from . import activity_alerts, data_quality_alerts, mlops_alerts, model_health_alerts, probe_alerts, security_alerts
from .alerts import model_alerts, system_alerts
from .config import CONFIG, QuantisConfig
from .database_alerts import database_alerts
from .http_alerts import http_alerts
from .infrastructure_alerts import infrastructure_alerts

#: Modules of one monitoring area each, each with ``rule_files(config) -> list[RuleFile]``.
AREAS = (data_quality_alerts, model_health_alerts, mlops_alerts, security_alerts, activity_alerts, probe_alerts)


def rule_files(config: QuantisConfig = CONFIG) -> list[RuleFile]:
    return [system_alerts(config), model_alerts(config), infrastructure_alerts(config), http_alerts(config),
            database_alerts(config), *(rule_file for area in AREAS for rule_file in area.rule_files(config))]
