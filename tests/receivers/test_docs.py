"""docs/receivers.md matches the code: every integration is in its table and has a section
listing every field, and every Python example runs."""

from __future__ import annotations

import re

import pytest

from obscode.model.alertmanager import AlertmanagerGlobal, Receiver
from obscode.model.integrations import INTEGRATIONS
from tests.conftest import ROOT

PAGE = (ROOT / "docs" / "receivers.md").read_text()
EXAMPLES = re.findall(r"```python\n(.*?)```", PAGE, re.S)


def section(cls_name: str) -> str:
    match = re.search(r"\n### [^\n]*`" + cls_name + r"`.*?(?=\n### |\n## |\Z)", PAGE, re.S)
    assert match, cls_name
    return match.group(0)


def test_every_receiver_field_is_in_the_table() -> None:
    for name in Receiver.model_fields:
        if name.endswith("_configs"):
            assert f"| `{name}` |" in PAGE, name


@pytest.mark.parametrize("integration", sorted(INTEGRATIONS))
def test_every_field_of_an_integration_is_documented(integration: str) -> None:
    cls = INTEGRATIONS[integration]
    text = section(cls.__name__)
    for name, info in cls.model_fields.items():
        if name != "ignore":
            assert f"`{info.alias or name}`" in text, (cls.__name__, name)


def test_every_new_global_field_is_documented() -> None:
    for name in AlertmanagerGlobal.model_fields:
        if name.split("_", 1)[0] in ("opsgenie", "victorops", "telegram", "webex", "wechat", "jira", "rocketchat"):
            assert f"`{name}`" in PAGE, name


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_example_runs(index: int) -> None:
    exec(compile(EXAMPLES[index], f"docs/receivers.md example {index + 1}", "exec"), {})


def test_every_integration_has_an_example() -> None:
    for cls in INTEGRATIONS.values():
        assert f"{cls.__name__}(" in section(cls.__name__), cls.__name__
