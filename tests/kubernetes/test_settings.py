"""KubernetesSettings and the target selectors: validation messages and selector semantics."""

from __future__ import annotations

import pytest

from obscode import KubernetesSettings, LabelSelector, Monitor, SelectorRequirement
from obscode.errors import DefinitionError


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"namespace": "Payments"}, "namespace 'Payments' is not a Kubernetes name"),
    ({"namespace": "a" * 64}, "at most 63 characters"),
    ({"rule_labels": {"release ": "kps"}}, "key 'release ' is not a Kubernetes label key"),
    ({"labels": {"team": "pay ments"}}, "label team='pay ments': a Kubernetes label value is at most 63"),
    ({"dashboards": "grafana-operator"}, "dashboards='grafana-operator' needs instance_selector"),
    ({"dashboards": "sidecar"}, "dashboards"),
])
def test_bad_settings_are_named(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        KubernetesSettings(**kwargs)
    assert message in str(caught.value)
    assert "kubernetes settings" in str(caught.value)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"key": "team", "operator": "In"}, "operator In needs values"),
    ({"key": "team", "operator": "Exists", "values": ["a"]}, "operator Exists takes no values"),
])
def test_bad_requirements_are_named(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        SelectorRequirement(**kwargs)


def test_selector_semantics() -> None:
    labels = {"release": "kps", "team": "payments"}
    assert LabelSelector().matches(labels)  # {} selects everything
    assert LabelSelector(matchLabels={"release": "kps"}).matches(labels)
    assert not LabelSelector(matchLabels={"release": "other"}).matches(labels)
    assert LabelSelector(matchExpressions=[SelectorRequirement(key="team", operator="In", values=["payments"])]
                         ).matches(labels)
    assert not LabelSelector(matchExpressions=[SelectorRequirement(key="team", operator="NotIn",
                                                                   values=["payments"])]).matches(labels)
    assert LabelSelector(matchExpressions=[SelectorRequirement(key="tier", operator="DoesNotExist")]).matches(labels)
    assert not LabelSelector(matchExpressions=[SelectorRequirement(key="tier", operator="Exists")]).matches(labels)
    assert LabelSelector(matchLabels={"release": "kps"}).text() == "release=kps"
    assert LabelSelector().text() == "{} (everything)"


def test_object_labels_and_namespace_labels() -> None:
    settings = KubernetesSettings(namespace="payments", labels={"team": "payments"},
                                  namespace_labels={"env": "prod"},
                                  monitors={"api": Monitor(selector=LabelSelector(matchLabels={"app": "api"}),
                                                           port="http")})
    assert settings.object_labels("shop", {"release": "kps"}) == {
        "app.kubernetes.io/part-of": "shop", "team": "payments", "release": "kps"}
    assert settings.all_namespace_labels() == {"kubernetes.io/metadata.name": "payments", "env": "prod"}


def test_a_relative_manifest_path_is_read_next_to_the_file_naming_it(tmp_path, monkeypatch) -> None:
    import runpy

    (tmp_path / "prometheus.yaml").write_text(
        "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {name: kps, namespace: monitoring}\n"
        "spec:\n  ruleSelector: {matchLabels: {release: kps}}\n", encoding="utf-8")
    (tmp_path / "targets.py").write_text(
        "from obscode import PrometheusTarget\ntarget = PrometheusTarget.from_file('prometheus.yaml')\n",
        encoding="utf-8")
    monkeypatch.chdir("/")
    target = runpy.run_path(str(tmp_path / "targets.py"))["target"]
    assert target.name == "kps" and target.rule_selector.match_labels == {"release": "kps"}
