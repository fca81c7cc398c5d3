"""docs/versions.md matches the code: every gated feature, with its version, is in its table."""

from __future__ import annotations

from obscode.versions import DEFAULT_ALERTMANAGER_VERSION, DEFAULT_GRAFANA_VERSION, DEFAULT_PROMETHEUS_VERSION, FEATURES
from tests.conftest import ROOT

PAGE = (ROOT / "docs" / "versions.md").read_text()


def test_every_gated_feature_is_documented_with_its_version() -> None:
    for name, feature in FEATURES.items():
        assert f"| `{name}` | {feature.tool} {feature.since}" in PAGE, name


def test_defaults_are_documented() -> None:
    assert (f'prometheus_version="{DEFAULT_PROMETHEUS_VERSION}", alertmanager_version="{DEFAULT_ALERTMANAGER_VERSION}", '
            f'grafana_version="{DEFAULT_GRAFANA_VERSION}"') in PAGE


def test_the_readme_links_the_page() -> None:
    assert "`docs/versions.md`" in (ROOT / "README.md").read_text()
