"""Alertmanager: who hears about what."""

from __future__ import annotations

from obscode import (
    AlertmanagerConfig, AlertmanagerGlobal, EmailConfig, InhibitRule, PagerdutyConfig, Receiver,
    Route, SecretRef, SlackConfig,
)

from .config import CONFIG


def alertmanager(config=CONFIG) -> AlertmanagerConfig:
    return AlertmanagerConfig(
        global_=AlertmanagerGlobal(
            resolve_timeout=config.resolve_timeout,
            smtp_smarthost=config.smtp_smarthost,
            smtp_from=config.smtp_from,
        ),
        route=Route(
            group_by=list(config.group_by),
            group_wait=config.group_wait,
            group_interval=config.group_interval,
            repeat_interval=config.repeat_interval,
            receiver="team-email",
            routes=[
                # Critical alerts page, and keep routing so model alerts also reach data science.
                Route(matchers=['severity="critical"'], receiver="pager", continue_=True),
                Route(matchers=['category="model"'], receiver="data-science-team"),
            ],
        ),
        receivers=[
            Receiver(name="team-email", email_configs=[EmailConfig(to=config.team_email, send_resolved=True)]),
            Receiver(name="pager", pagerduty_configs=[
                PagerdutyConfig(service_key=SecretRef(file=config.pagerduty_service_key_file), send_resolved=True),
            ]),
            Receiver(name="data-science-team", slack_configs=[
                SlackConfig(api_url=SecretRef(file=config.slack_webhook_url_file),
                            channel=config.slack_channel, send_resolved=True),
            ]),
        ],
        inhibit_rules=[
            InhibitRule(source_matchers=['severity="critical"'], target_matchers=['severity="warning"'],
                        equal=["alertname", "service"]),
        ],
    )
