"""benchmarks/bench_slo.py without the benchmark: the rule sets it compares (our rules and Sloth's
documented shape) are what it says and pass promtool, its history backfills with the real promtool,
and its argument errors read as they should. Nothing here is timed."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time

import pytest
import yaml

from tests.conftest import ROOT, require_tool


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_slo", ROOT / "benchmarks" / "bench_slo.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_slo"] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules["bench_slo"]


def test_sloths_shape_has_its_17_rules_per_slo(bench) -> None:
    groups = bench.sloth_groups(bench.Spec(7))
    assert [g["name"] for g in groups] == ["sloth-slo-sli-recordings-svc-007-availability",
                                           "sloth-slo-meta-recordings-svc-007-availability",
                                           "sloth-slo-alerts-svc-007-availability"]
    sli, meta, alerts = (g["rules"] for g in groups)
    assert [r["record"] for r in sli] == [f"slo:sli_error:ratio_rate{w}" for w in
                                          ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")]
    assert (len(sli), len(meta), len(alerts)) == (8, 7, 2)
    # the 30-day window averages the recorded 5-minute ratios, as Sloth's does
    assert sli[-1]["expr"].startswith("sum_over_time(slo:sli_error:ratio_rate5m{")
    assert "count_over_time(slo:sli_error:ratio_rate5m{" in sli[-1]["expr"]
    assert "increase" not in sli[-1]["expr"]
    assert [a["labels"]["sloth_severity"] for a in alerts] == ["page", "ticket"]
    assert "(14.4 * 0.0009999999999999432)" in alerts[0]["expr"]  # float64, as Sloth writes it


def test_both_rule_sets_pass_promtool_and_count_as_the_table_says(bench, tmp_path) -> None:
    promtool = require_tool("promtool")
    specs = [bench.Spec(0), bench.Spec(1)]
    ours = bench.our_rule_files(specs)
    sloth = {"sloth.yml": {"groups": [g for s in specs for g in bench.sloth_groups(s)]}}
    assert bench.count_rules(ours) == {"recording": 16, "alerting": 8, "groups": 4}
    assert bench.count_rules(sloth) == {"recording": 30, "alerting": 4, "groups": 6}
    paths = []
    for name, data in {**bench.with_interval(ours, "60s"), **bench.with_interval(sloth, "60s")}.items():
        assert all(g["interval"] == "60s" for g in data["groups"])
        (tmp_path / name).write_text(yaml.safe_dump(data, sort_keys=False))
        paths.append(str(tmp_path / name))
    result = subprocess.run([promtool, "check", "rules", *paths], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_history_backfills_with_promtool_and_matches_the_live_counters(bench, tmp_path) -> None:
    require_tool("promtool")
    specs = [bench.Spec(0), bench.Spec(1)]
    now = int(time.time()) // 60 * 60
    start = now - 31 * 86400
    traffic = bench.Traffic(2, 2, start, 31 * 1440 + 10, 60)
    samples = bench.backfill(tmp_path, tmp_path / "data", traffic, specs, now, 60)
    # 2 services x 2 pods x (good, bad) every minute, plus one recorded 5-minute ratio per service
    # and evaluation (fewer when a 5-minute window has no requests)
    counters = 8 * 31 * 1440
    assert counters < samples <= counters + 2 * (31 * 1440 - 5)
    blocks = [p for p in (tmp_path / "data").iterdir() if (p / "meta.json").exists()]
    assert blocks and not list(tmp_path.glob("*.om"))
    live = traffic.exposition(now + 30, specs)
    i = traffic.index(now + 30)
    assert f'http_requests_total{{service="svc-001",pod="p1",code="500"}} {traffic.bad[1, 1, i]}' in live
    assert (traffic.good[:, :, 1:] >= traffic.good[:, :, :-1]).all()  # counters never go down


@pytest.mark.parametrize("args, message", [
    (["--slos", "0"], "error: --slos, --instances and --rounds must be at least 1, --days at least 30 (the period)"),
    (["--days", "7"], "error: --slos, --instances and --rounds must be at least 1, --days at least 30 (the period)"),
])
def test_argument_errors(args, message) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_slo.py"), *args],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert result.stderr.strip() == message
