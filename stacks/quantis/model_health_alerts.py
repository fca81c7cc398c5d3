"""Model alerts beyond the seed's: prediction drift, bias, load time, memory (model_health_alerts.yml)."""

from __future__ import annotations

from obscode import RuleFile

from .config import CONFIG, QuantisConfig


def rule_files(config: QuantisConfig = CONFIG) -> list[RuleFile]:
    return []
