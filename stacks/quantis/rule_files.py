"""Every hand-written rule file of Quantis (the SLOs add their own)."""

from __future__ import annotations

from obscode import RuleFile

from .alerts import model_alerts, system_alerts
from .config import CONFIG, QuantisConfig
from .database_alerts import database_alerts
from .http_alerts import http_alerts
from .infrastructure_alerts import infrastructure_alerts


def rule_files(config: QuantisConfig = CONFIG) -> list[RuleFile]:
    return [system_alerts(config), model_alerts(config), infrastructure_alerts(config), http_alerts(config),
            database_alerts(config)]
