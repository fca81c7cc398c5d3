"""Blackbox probe and per-process resource alerts (probe_alerts.yml)."""

from __future__ import annotations

from obscode import RuleFile

from .config import CONFIG, QuantisConfig


def rule_files(config: QuantisConfig = CONFIG) -> list[RuleFile]:
    return []
