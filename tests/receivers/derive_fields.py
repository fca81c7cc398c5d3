"""Writes alertmanager_0_34_fields.json: the YAML keys each Alertmanager integration accepts,
read from the Go struct tags of prometheus/alertmanager v0.34.0 (config/notifiers.go,
notify/*/config.go). Run it in a checkout of that tag:

    git -C alertmanager checkout v0.34.0
    python tests/receivers/derive_fields.py alertmanager > tests/receivers/alertmanager_0_34_fields.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

STRUCTS = {
    "opsgenie_configs": ("notify/opsgenie/config.go", "OpsGenieConfig"),
    "msteams_configs": ("notify/msteams/config.go", "MSTeamsConfig"),
    "msteamsv2_configs": ("notify/msteamsv2/config.go", "MSTeamsV2Config"),
    "telegram_configs": ("notify/telegram/config.go", "TelegramConfig"),
    "discord_configs": ("notify/discord/config.go", "DiscordConfig"),
    "webex_configs": ("config/notifiers.go", "WebexConfig"),
    "sns_configs": ("config/notifiers.go", "SNSConfig"),
    "victorops_configs": ("config/notifiers.go", "VictorOpsConfig"),
    "pushover_configs": ("config/notifiers.go", "PushoverConfig"),
    "wechat_configs": ("config/notifiers.go", "WechatConfig"),
    "jira_configs": ("notify/jira/config.go", "JiraConfig"),
    "rocketchat_configs": ("config/notifiers.go", "RocketchatConfig"),
    "incidentio_configs": ("notify/incidentio/config.go", "IncidentioConfig"),
    "global": ("config/config.go", "GlobalConfig"),
}
_TAG = re.compile(r'yaml:"([a-z0-9_]+)[,"]')


def struct_keys(source: str, name: str) -> list[str]:
    body = re.search(r"type " + name + r" struct \{(.*?)\n\}", source, re.S)
    assert body, name
    keys = _TAG.findall(body.group(1))
    if "NotifierConfig" in body.group(1):
        keys.append("send_resolved")
    return sorted(set(keys))


def main(root: Path) -> None:
    out = {"source": "prometheus/alertmanager v0.34.0", "fields": {}}
    for key, (path, name) in STRUCTS.items():
        out["fields"][key] = struct_keys((root / path).read_text(), name)
    print(json.dumps(out, indent=1, sort_keys=True))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
