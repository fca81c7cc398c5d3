"""Dashboards on Kubernetes: ConfigMaps for Grafana's sidecar (name, labels, the 1 MiB object
limit) and grafana-operator GrafanaDashboards (valid against the upstream CRD, gzipped when the
JSON would not fit)."""

from __future__ import annotations

import base64
import gzip
import json
import random
from typing import Any

import pytest
from pydantic import ValidationError

from obscode import KubernetesSettings, LabelSelector, SelectorRequirement, Stack
from obscode import paths
from obscode.emit import grafana
from obscode.kubernetes import dashboards
from obscode.kubernetes.dashboards import MAX_OBJECT_BYTES, GrafanaDashboardSpec
from tests.kubernetes.crd import assert_valid, errors

OUTPUTS = ["prometheus", "alertmanager", "grafana", "kubernetes"]
OPERATOR = dict(dashboards="grafana-operator", instance_selector=LabelSelector(match_labels={"dashboards": "grafana"}))


def _board(uid: str = "api", **extra: Any) -> dict[str, Any]:
    return {"uid": uid, "title": uid.upper(), "panels": [], **extra}


def _stack(*boards: dict[str, Any], **settings: Any) -> Stack:
    return Stack(name="shop", outputs=OUTPUTS, dashboards=list(boards) or [_board()],
                 kubernetes=KubernetesSettings(**settings))


def _written(stack: Stack) -> dict[str, bytes]:
    """The dashboards as the grafana output writes them, by file name."""
    return {path.removeprefix(paths.DASHBOARDS_DIR): content for path, content in grafana.emit(stack).items()
            if path.startswith(paths.DASHBOARDS_DIR)}


def _objects(stack: Stack) -> list[dict[str, Any]]:
    return dashboards.objects(stack, _written(stack))


def _stored_bytes(obj: dict[str, Any]) -> int:
    """What the API server stores: the object as compact JSON."""
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())


# -- ConfigMap ------------------------------------------------------------------------------

def test_a_configmap_per_dashboard_carrying_the_sidecar_label_and_the_json_as_written():
    stack = _stack(_board("api"), _board("model-quality"), labels={"team": "platform"})
    written = _written(stack)
    assert _objects(stack) == [
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "shop-api", "namespace": "monitoring",
                      "labels": {"app.kubernetes.io/part-of": "shop", "team": "platform", "grafana_dashboard": "1"}},
         "data": {"api.json": written["api.json"].decode()}},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "shop-model-quality", "namespace": "monitoring",
                      "labels": {"app.kubernetes.io/part-of": "shop", "team": "platform", "grafana_dashboard": "1"}},
         "data": {"model-quality.json": written["model-quality.json"].decode()}},
    ]


def test_the_sidecar_label_and_namespace_are_configurable():
    [obj] = _objects(_stack(namespace="grafana", dashboard_label={"grafana_dashboard": "shop"}))
    assert obj["metadata"]["namespace"] == "grafana"
    assert obj["metadata"]["labels"] == {"app.kubernetes.io/part-of": "shop", "grafana_dashboard": "shop"}


def test_a_uid_that_is_no_kubernetes_name_gives_a_valid_object_name():
    [obj] = _objects(_stack(_board("Model_Quality")))
    assert obj["metadata"]["name"] == "shop-model-quality"
    assert list(obj["data"]) == ["Model_Quality.json"]


def test_no_kubernetes_settings_no_objects():
    stack = Stack(name="shop", dashboards=[_board()])
    assert dashboards.objects(stack, _written(stack)) == []


def _padded_configmap(padding: int) -> tuple[Stack, dict[str, Any]]:
    """A stack whose one dashboard carries ``padding`` characters, and the ConfigMap expected of it."""
    stack = _stack(_board("big", description="x" * padding))
    text = _written(stack)["big.json"].decode()
    expected = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "shop-big", "namespace": "monitoring",
                             "labels": {"app.kubernetes.io/part-of": "shop", "grafana_dashboard": "1"}},
                "data": {"big.json": text}}
    return stack, expected


def test_a_configmap_of_exactly_1_mib_is_written_and_one_byte_more_is_an_error_naming_the_dashboard():
    _, probe = _padded_configmap(0)
    fitting = MAX_OBJECT_BYTES - _stored_bytes(probe)
    stack, expected = _padded_configmap(fitting)
    assert _stored_bytes(expected) == MAX_OBJECT_BYTES
    assert _objects(stack) == [expected]

    too_big, _ = _padded_configmap(fitting + 1)
    with pytest.raises(ValueError) as caught:
        _objects(too_big)
    assert str(caught.value) == (
        "dashboard big.json: its ConfigMap would be 1,048,577 bytes, more than the 1 MiB (1,048,576 bytes) "
        "Kubernetes allows an object (dashboards=\"grafana-operator\" would carry it gzipped); split the "
        "dashboard (fewer panels, or rows in dashboards of their own)")


def test_the_size_limit_fails_obscode_generate_as_a_definition_error():
    from obscode.emit import render_stack
    from obscode.errors import DefinitionError

    stack, _ = _padded_configmap(MAX_OBJECT_BYTES)
    with pytest.raises(DefinitionError) as caught:
        render_stack(stack)
    assert "dashboard big.json: its ConfigMap would be" in str(caught.value)
    assert "shop" in str(caught.value)


def test_a_file_name_that_cannot_be_a_configmap_key_is_an_error():
    stack = _stack()
    with pytest.raises(ValueError) as caught:
        dashboards.objects(stack, {"api~2.json": b"{}\n"})
    assert str(caught.value) == ("dashboard api~2.json: 'api~2.json' cannot be a ConfigMap key (letters, digits, "
                                 "'-', '_' and '.'): give the dashboard a uid of its own")


# -- GrafanaDashboard -----------------------------------------------------------------------

def test_a_grafana_dashboard_per_dashboard_valid_against_the_upstream_crd():
    stack = _stack(_board("api"), _board("model-quality"), **OPERATOR)
    written = _written(stack)
    objs = _objects(stack)
    assert [o["metadata"]["name"] for o in objs] == ["shop-api", "shop-model-quality"]
    assert objs[0] == {
        "apiVersion": "grafana.integreatly.org/v1beta1", "kind": "GrafanaDashboard",
        "metadata": {"name": "shop-api", "namespace": "monitoring", "labels": {"app.kubernetes.io/part-of": "shop"}},
        "spec": {"instanceSelector": {"matchLabels": {"dashboards": "grafana"}}, "json": written["api.json"].decode()},
    }
    for obj in objs:
        assert_valid(obj)


def test_folder_resync_period_and_selector_expressions_are_written_and_valid():
    selector = LabelSelector(match_labels={"dashboards": "grafana"},
                             match_expressions=[SelectorRequirement(key="env", operator="In", values=["prod"])])
    [obj] = _objects(_stack(dashboards="grafana-operator", instance_selector=selector, dashboard_folder="Shop",
                            dashboard_resync_period="5m"))
    spec = obj["spec"]
    assert spec["instanceSelector"] == {"matchLabels": {"dashboards": "grafana"},
                                        "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]}
    assert (spec["folder"], spec["resyncPeriod"]) == ("Shop", "5m")
    assert_valid(obj)


def test_a_resync_period_the_operator_cannot_read_is_an_error():
    with pytest.raises(ValueError) as caught:
        _objects(_stack(**OPERATOR, dashboard_resync_period="5 minutes"))
    assert str(caught.value) == ("dashboard_resync_period '5 minutes' is not a duration the grafana-operator reads: "
                                 "a number and a unit (h, m, s, ms), e.g. \"5m\" or \"1h30m\"")
    # the CRD refuses it too
    [obj] = _objects(_stack(**OPERATOR))
    obj["spec"]["resyncPeriod"] = "5 minutes"
    assert errors(obj)


def test_the_typed_model_and_the_crd_both_refuse_an_unknown_field():
    [obj] = _objects(_stack(**OPERATOR))
    obj["spec"]["folderName"] = "Shop"
    assert any("folderName" in e for e in errors(obj))
    with pytest.raises(ValidationError, match="folderName"):
        GrafanaDashboardSpec.model_validate(obj["spec"])


def _large_board(uid: str = "big") -> dict[str, Any]:
    """A dashboard of about 1.5 MB of JSON that compresses well (the same panel, repeated)."""
    panel = {"type": "timeseries", "title": "Requests", "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0},
             "targets": [{"refId": "A", "expr": "sum by (job) (rate(http_requests_total[5m]))"}]}
    return _board(uid, panels=[{**panel, "id": i} for i in range(1, 3000)])


def test_json_that_would_exceed_1_mib_is_carried_gzipped_and_decodes_to_the_dashboard():
    stack = _stack(_large_board(), **OPERATOR)
    written = _written(stack)["big.json"]
    assert len(written) > MAX_OBJECT_BYTES
    [obj] = _objects(stack)
    assert "json" not in obj["spec"]
    packed = base64.b64decode(obj["spec"]["gzipJson"])
    assert gzip.decompress(packed) == written
    assert packed[4:8] == b"\0\0\0\0"  # no timestamp: the same bytes every run
    assert _stored_bytes(obj) <= MAX_OBJECT_BYTES
    assert _objects(stack) == [obj]
    assert_valid(obj)


def test_a_dashboard_that_does_not_fit_even_gzipped_is_an_error_naming_it():
    noise = random.Random(0).randbytes(900_000).hex()  # incompressible beyond its hex encoding
    stack = _stack(_board("noise", description=noise), **OPERATOR)
    with pytest.raises(ValueError) as caught:
        _objects(stack)
    message = str(caught.value)
    assert message.startswith("dashboard noise.json: its GrafanaDashboard would be ")
    assert message.endswith(" bytes, more than the 1 MiB (1,048,576 bytes) Kubernetes allows an object even with "
                            "its JSON gzipped (spec.gzipJson); split the dashboard (fewer panels, or rows in "
                            "dashboards of their own)")
    size = int(message.split(" would be ")[1].split(" bytes")[0].replace(",", ""))
    assert size > MAX_OBJECT_BYTES


# -- through the kubernetes output ------------------------------------------------------------

def test_the_kubernetes_output_writes_each_dashboard_object_to_its_own_file():
    from obscode.emit import render_stack

    for settings, kind, boards in (({}, "ConfigMap", [_board("api")]),
                                   (OPERATOR, "GrafanaDashboard", [_board("api"), _large_board()])):
        rendered = render_stack(_stack(*boards, **settings))
        for board in boards:
            uid = board["uid"]
            written = rendered.files[paths.dashboard(uid)]
            path = paths.kubernetes_object(kind, f"shop-{uid}")
            assert path in rendered.written
            obj = rendered.kubernetes_objects()[path]
            if kind == "ConfigMap":
                assert obj["data"][f"{uid}.json"].encode() == written
            elif uid == "big":
                assert gzip.decompress(base64.b64decode(obj["spec"]["gzipJson"])) == written
            else:
                assert obj["spec"]["json"].encode() == written


def test_the_configmap_file_shows_the_dashboard_json_as_a_literal_block():
    from obscode.emit import kubernetes

    [content] = kubernetes.emit(_stack(_board("api"))).values()
    assert b"\ndata:\n  api.json: |\n    {\n" in content


def test_the_quantis_dashboards_as_grafana_dashboards_are_valid_against_the_crd(in_project):
    from obscode.build import load

    quantis = load("stacks/quantis").stack
    stack = quantis.model_copy(update={"kubernetes": KubernetesSettings(**OPERATOR, dashboard_folder="Quantis")})
    objs = _objects(stack)
    assert len(objs) == len(quantis.dashboards) > 0
    for obj in objs:
        assert obj["metadata"]["name"].startswith("quantis-")
        assert "json" in obj["spec"]
        assert_valid(obj)
