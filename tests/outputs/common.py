"""The small stack the output tests share: one rule file with a group of alerts, a
recording-only group and a group that sets both ruler fields."""

from __future__ import annotations

from obscode import AlertRule, RecordingRule, RuleFile, RuleGroup, Stack


def api_rules(**last_group: object) -> RuleFile:
    return RuleFile(name="api", groups=[
        RuleGroup(name="api-alerts", rules=[
            AlertRule(alert="ApiDown", expr='up{job="api"} == 0', for_="5m", labels={"severity": "critical"},
                      annotations={"summary": "{{ $labels.instance }} is down"})]),
        RuleGroup(name="api-recordings", rules=[
            RecordingRule(record="job:http_requests:rate5m", expr="sum by (job) (rate(http_requests_total[5m]))")]),
        RuleGroup(name="api-federated", interval="1m", rules=[
            AlertRule(alert="ApiErrorsEverywhere", expr="job:http_requests:rate5m > 100")],
            **({"partial_response_strategy": "warn", "source_tenants": ["team-a", "team-b"]} | last_group)),
    ])


def rules_stack(*rule_files: RuleFile, outputs: tuple[str, ...] = ("prometheus", "thanos", "mimir")) -> Stack:
    return Stack(name="shop", rule_files=list(rule_files) or [api_rules()], outputs=list(outputs))
