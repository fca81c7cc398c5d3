"""The private scipy and grafanalib names: a change upstream gives the same results by a public path."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats
from scipy.stats import _stats_py

from instrumentation.monitor import ks
from tests.instrumentation.renaming import hide, replace_for_instrumentation

RNG = np.random.default_rng(7)
PAIRS = [
    (RNG.normal(size=60), RNG.normal(0.3, size=80)),
    (RNG.integers(0, 5, size=40).astype(float), RNG.integers(0, 6, size=50).astype(float)),  # ties
]


@pytest.fixture
def reprobed(monkeypatch):
    yield
    monkeypatch.undo()
    assert ks.probe_exact_routine() is not None


def _changed_signature(n1, n2, d, alternative):  # one parameter fewer, as a refactor might
    raise AssertionError("never called: the probe rejects the signature")


def _changed_behaviour(n1, n2, g, d, alternative):  # same signature, different meaning
    return True, d, 0.5


@pytest.mark.parametrize("change", ["removed", "signature", "behaviour"])
def test_a_changed_scipy_exact_routine_falls_back_to_ks_2samp(change, monkeypatch, reprobed, caplog):
    # scipy's own ks_2samp keeps the real routine; only the instrumentation sees the change.
    if change == "removed":
        hide(monkeypatch, SimpleNamespace(owner="scipy.stats._stats_py", name="_attempt_exact_2kssamp", kind="module"))
    else:
        replacement = _changed_signature if change == "signature" else _changed_behaviour
        replace_for_instrumentation(monkeypatch, _stats_py, "_attempt_exact_2kssamp", replacement)
    with caplog.at_level(logging.WARNING, logger="instrumentation.compat"):
        assert ks.probe_exact_routine() is None
    [warning] = [r.getMessage() for r in caplog.records if r.name == "instrumentation.compat"]
    assert "_attempt_exact_2kssamp" in warning and "scipy.stats.ks_2samp" in warning
    for reference, current in PAIRS:
        got = ks.ks_2samp_sorted(np.sort(reference), np.sort(current))
        expected = stats.ks_2samp(reference, current)
        assert (got.statistic, got.p_value, got.exact) == (expected.statistic, expected.pvalue, True)


def test_the_private_routine_is_used_where_it_behaves_as_ks_2samp():
    assert ks.probe_exact_routine() is not None
    for reference, current in PAIRS:
        got = ks.ks_2samp_sorted(np.sort(reference), np.sort(current))
        assert got.p_value == stats.ks_2samp(reference, current).pvalue


def test_grafanalib_dashboards_encode_through_their_public_json_data():
    """The encoder obscode uses gives what grafanalib's own (private) encoder gives."""
    from grafanalib import core

    from obscode.grafana.source import GrafanalibEncoder, dashboard_json

    dashboard = core.Dashboard(
        title="Encoded", uid="encoded",
        panels=[core.TimeSeries(title="rps", targets=[core.Target(expr="rate(x[5m])", refId="A")],
                                gridPos=core.GridPos(h=8, w=12, x=0, y=0))],
    ).auto_panel_ids()
    ours = json.dumps(dashboard.to_json_data(), cls=GrafanalibEncoder, sort_keys=True)
    try:
        from grafanalib._gen import DashboardEncoder
    except ImportError:  # gone upstream: nothing to compare with, ours still encodes
        DashboardEncoder = None
    if DashboardEncoder is not None:
        assert ours == json.dumps(dashboard.to_json_data(), cls=DashboardEncoder, sort_keys=True)
    assert dashboard_json(dashboard) == json.loads(ours)
    assert dashboard_json(dashboard)["panels"][0]["targets"][0]["expr"] == "rate(x[5m])"
