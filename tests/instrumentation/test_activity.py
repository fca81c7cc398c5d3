"""instrumentation.activity: distinct-user sketches (stated error, sliding windows, bounded memory),
the active_users gauges, api_usage per route and plan, feature usage and session durations."""

from __future__ import annotations

import math
import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client.parser import text_string_to_metric_families

from instrumentation import instrument
from instrumentation.activity import LG_K, RELATIVE_ERROR, SLICES, WINDOWS, SlidingDistinctCounter, UserActivity
from instrumentation.catalog import ACTIVITY_METRICS, SESSION_BUCKETS, UNMATCHED_PATH
from instrumentation.config import InstrumentationConfig
from instrumentation.metrics import MetricsPipeline
from instrumentation.request_metrics import header_value
from obscode.model.catalog import from_instrumentation


class Clock:
    """A settable clock, so windows slide without waiting."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def random_ids(rng: random.Random, n: int) -> list[str]:
    return [f"user-{rng.getrandbits(64):016x}" for _ in range(n)]


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                out[tuple(sorted(sample.labels.items()))] = sample.value
    return out


# --- the sketch: stated error, windows, memory ------------------------------------------------


def test_stated_relative_error_is_hyperloglogs_for_4096_registers():
    assert LG_K == 12
    assert RELATIVE_ERROR == pytest.approx(1.04 / 64)  # about 1.6 %


@pytest.mark.parametrize(("cardinality", "trials"), [(1_000, 12), (10_000, 8), (60_000, 3)])
def test_estimates_stay_within_the_stated_error(cardinality, trials):
    """Seeded random ids, several runs per cardinality: the root-mean-square relative error is
    within the stated standard error (with 25 % slack for the few trials) and no run is off by
    more than three standard errors."""
    rng = random.Random(cardinality)
    errors = []
    for _ in range(trials):
        counter = SlidingDistinctCounter({"1d": 86400.0}, clock=Clock())
        for user in random_ids(rng, cardinality):
            counter.add(user)
        errors.append(counter.count("1d") / cardinality - 1)
    rms = math.sqrt(sum(e * e for e in errors) / len(errors))
    assert rms <= 1.25 * RELATIVE_ERROR, errors
    assert max(abs(e) for e in errors) <= 3 * RELATIVE_ERROR, errors


def test_estimate_over_a_window_merges_its_slices_and_counts_returning_users_once():
    """Users spread over the hour's slices, each coming back in several slices: the merged count
    estimates the distinct users, not the visits."""
    clock = Clock()
    counter = SlidingDistinctCounter({"1h": 3600.0}, clock=clock)
    users = random_ids(random.Random(1), 20_000)
    rng = random.Random(2)
    for step in range(SLICES):
        clock.now = 1_000_000.0 - 3600.0 + 300.0 * step + 1
        for user in rng.sample(users, 8_000):
            counter.add(user)
    clock.now = 1_000_000.0
    seen = 20_000  # 12 draws of 8000 out of 20000 leave each user unseen with probability 0.6**12
    assert abs(counter.count("1h") / seen - 1) <= 3 * RELATIVE_ERROR


def test_small_counts_are_exact():
    counter = SlidingDistinctCounter(clock=Clock())
    assert counter.counts() == {"5m": 0.0, "1h": 0.0, "1d": 0.0}
    for user in ("a", "b", "c", "a", "b", "a"):
        counter.add(user)
    assert {window: round(value) for window, value in counter.counts().items()} == {"5m": 3, "1h": 3, "1d": 3}


def test_users_leave_each_window_once_it_has_passed():
    clock = Clock(0.0)
    counter = SlidingDistinctCounter(clock=clock)
    counter.add("early")
    clock.now = 4 * 60.0
    counter.add("later")

    def rounded() -> dict[str, int]:
        return {window: round(value) for window, value in counter.counts().items()}

    assert rounded() == {"5m": 2, "1h": 2, "1d": 2}
    # 5m counts the last 5 to 5m25s (12 slices of 25 s plus the current one).
    clock.now = 5 * 60.0 + 25.0 + 1
    assert rounded() == {"5m": 1, "1h": 2, "1d": 2}
    clock.now = 4 * 60.0 + 5 * 60.0 + 25.0 + 1
    assert rounded() == {"5m": 0, "1h": 2, "1d": 2}
    clock.now = 3600.0 + 300.0 + 4 * 60.0 + 1
    assert rounded() == {"5m": 0, "1h": 0, "1d": 2}
    clock.now = 86400.0 + 7200.0 + 4 * 60.0 + 1
    assert rounded() == {"5m": 0, "1h": 0, "1d": 0}


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.floats(0, 4000), st.integers(0, 40)), max_size=60), st.floats(0, 90_000))
def test_each_window_counts_exactly_the_users_of_its_slices(events, wait):
    """Any schedule of visits by a few users (counts the sketch keeps exactly): each window counts
    the distinct users whose visit fell in its last 12 slices or the current one."""
    clock = Clock(0.0)
    counter = SlidingDistinctCounter(clock=clock)
    visits = []
    for step, user in events:
        clock.now += step
        counter.add(f"user-{user}")
        visits.append((clock.now, user))
    clock.now += wait
    for window, seconds in WINDOWS.items():
        width = seconds / SLICES
        oldest = math.floor(clock.now / width) - SLICES
        expected = {user for at, user in visits if math.floor(at / width) >= oldest}
        assert round(counter.count(window)) == len(expected), window


def test_memory_is_bounded_whatever_the_number_of_users():
    """100 000 distinct users over two simulated days: never more sketch bytes than max_bytes, a
    figure that depends on the windows and lg_k only (13 sketches per window, 4 KiB at most each)."""
    clock = Clock(0.0)
    counter = SlidingDistinctCounter(clock=clock)
    assert counter.max_bytes == SlidingDistinctCounter(clock=Clock()).max_bytes < 200 * 1024
    users = random_ids(random.Random(3), 100_000)
    peak = 0
    for start in range(0, len(users), 1_000):
        for user in users[start:start + 1_000]:
            counter.add(user)
        clock.now += 2 * 86400.0 / 100
        peak = max(peak, counter.bytes_used())
    assert 0 < peak <= counter.max_bytes


def test_sketches_keep_no_user_id():
    counter = SlidingDistinctCounter(clock=Clock())
    users = [f"alice.{n}@example.com" for n in range(50)]
    for user in users:
        counter.add(user)
    kept = b"".join(sketch.serialize_updatable() for ring in counter._rings.values() for _, sketch in ring)
    assert not any(user.encode() in kept for user in users)
    assert b"alice" not in kept


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lg_k": 3}, "lg_k must be between 4 and 21 (DataSketches' range), got 3"),
        ({"slices": 0}, "slices must be at least 1, got 0"),
        ({"windows": {"5m": 0}}, "window '5m' must last more than 0 seconds, got 0"),
    ],
)
def test_counter_refuses_bad_settings(options, message):
    with pytest.raises(ValueError) as raised:
        SlidingDistinctCounter(**options)
    assert str(raised.value) == message


def test_counting_an_unknown_window_names_the_windows():
    with pytest.raises(KeyError) as raised:
        SlidingDistinctCounter().count("1w")
    assert raised.value.args[0] == "no window '1w'; the windows are 5m, 1h, 1d"


# --- the service side: gauges, api usage, features, sessions ----------------------------------


@pytest.fixture
def activity_app(tmp_path: Path) -> Iterator[tuple[TestClient, UserActivity, object, Clock]]:
    clock = Clock()
    pipeline = MetricsPipeline()
    activity = UserActivity(
        plans=("free", "pro"), features=("forecast", "backtest"), pipeline=pipeline,
        counter=SlidingDistinctCounter(clock=clock),
    )
    app = FastAPI()

    @app.get("/forecasts/{model_id}")
    async def forecast(model_id: str) -> dict[str, str]:
        return {"model_id": model_id}

    user = header_value("x-user-id", missing="")
    handle = instrument(
        app,
        config=InstrumentationConfig(service="api", version="1.2.3", environment="test"),
        tracer_provider=TracerProvider(),
        metrics=pipeline,
        log_file=str(tmp_path / "app.log"),
        request_metrics=[activity.request_metric(
            user=lambda request: user(request) or None,
            plan=header_value("x-plan"),  # a missing header reads "none"
            headers=("x-user-id", "x-plan"),
        )],
    )
    client = TestClient(app)
    yield client, activity, handle, clock
    client.close()
    handle.uninstrument()


def test_requests_count_active_users_and_api_usage_by_route_and_plan(activity_app, tmp_path):
    client, activity, handle, clock = activity_app
    for n in range(30):
        plan = ("free", "pro", "gold")[n % 3]
        client.get(f"/forecasts/m{n % 4}", headers={"x-user-id": f"secret-user-{n % 10}", "x-plan": plan})
    client.get("/forecasts/m1")  # anonymous: no user, no plan
    client.get("/nowhere", headers={"x-user-id": "secret-user-99"})
    text = handle.exposition().decode()
    assert samples(text, "active_users") == {
        (("window", "5m"),): pytest.approx(11, rel=1e-6),
        (("window", "1h"),): pytest.approx(11, rel=1e-6),
        (("window", "1d"),): pytest.approx(11, rel=1e-6),
    }
    assert samples(text, "api_usage_total") == {
        (("path", "/forecasts/{model_id}"), ("plan", "free")): 10.0,
        (("path", "/forecasts/{model_id}"), ("plan", "pro")): 10.0,
        (("path", "/forecasts/{model_id}"), ("plan", "other")): 10.0,
        (("path", "/forecasts/{model_id}"), ("plan", "none")): 1.0,
        (("path", UNMATCHED_PATH), ("plan", "none")): 1.0,
    }
    assert "secret-user" not in text
    log = tmp_path / "app.log"
    assert "secret-user" not in (log.read_text(encoding="utf-8") if log.exists() else "")
    clock.now += 6 * 60.0
    assert samples(handle.exposition().decode(), "active_users")[(("window", "5m"),)] == 0.0


def test_features_and_sessions(activity_app):
    client, activity, handle, clock = activity_app
    activity.feature_used("forecast", plan="pro", user_id="u1")
    activity.feature_used("forecast", plan="pro")
    activity.feature_used("backtest", plan="enterprise")
    activity.feature_used("backtest")
    for seconds in (5.0, 45.0, 45.0, 4000.0, 100_000.0):
        activity.session_ended(seconds)
    text = handle.exposition().decode()
    assert samples(text, "feature_usage_total") == {
        (("feature", "forecast"), ("plan", "pro")): 2.0,
        (("feature", "backtest"), ("plan", "other")): 1.0,
        (("feature", "backtest"), ("plan", "none")): 1.0,
    }
    buckets = {labels[0][1]: value for labels, value in samples(text, "user_session_duration_seconds_bucket").items()}
    assert buckets["10.0"] == 1 and buckets["60.0"] == 3 and buckets["7200.0"] == 4 and buckets["+Inf"] == 5
    assert len(buckets) == len(SESSION_BUCKETS) + 1
    assert samples(text, "user_session_duration_seconds_sum") == {(): 104095.0}
    assert round(samples(text, "active_users")[(("window", "1d"),)]) == 1


def test_exposition_passes_promtool_check_metrics(activity_app):
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: run scripts/system-deps.sh (package prometheus)"
    client, activity, handle, clock = activity_app
    client.get("/forecasts/m1", headers={"x-user-id": "u1", "x-plan": "pro"})
    activity.feature_used("forecast")
    activity.session_ended(30.0)
    text = client.get("/metrics").text
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def test_specs_declare_plans_and_features_and_make_a_catalog():
    activity = UserActivity(plans=("free", "pro"), features=("forecast",), pipeline=MetricsPipeline())
    specs = {spec.name: spec for spec in activity.specs()}
    assert set(specs) == {spec.name for spec in ACTIVITY_METRICS}
    assert specs["api_usage"].label_values == {"plan": ("free", "pro", "other", "none")}
    assert specs["feature_usage"].label_values == {"feature": ("forecast",), "plan": ("free", "pro", "other", "none")}
    assert specs["active_users"].label_values == {"window": tuple(WINDOWS)}
    catalog = from_instrumentation("activity", activity.specs())
    assert sorted(metric.name for metric in catalog.metrics) == [
        "active_users", "api_usage_total", "feature_usage_total", "user_session_duration_seconds",
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda a: a.feature_used("export"),
         "feature 'export' is not declared; the declared features are: forecast, backtest"),
        (lambda a: a.session_ended(-1.0), "a session lasts a finite, non-negative number of seconds, got -1.0"),
        (lambda a: a.session_ended(float("nan")), "a session lasts a finite, non-negative number of seconds, got nan"),
    ],
)
def test_usage_errors_say_what_is_wrong(call, message):
    activity = UserActivity(plans=("free",), features=("forecast", "backtest"), pipeline=MetricsPipeline())
    with pytest.raises(ValueError) as raised:
        call(activity)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"plans": ("free", "other")}, "plans cannot include other: the value is reserved"),
        ({"features": ("none",)}, "features cannot include none: the value is reserved"),
        ({"plans": "free"}, "plans must be a collection of names, not the string 'free'"),
        ({"features": ("",)}, "features must be non-empty strings, got ''"),
        ({"counter": SlidingDistinctCounter({"5m": 300.0})},
         "the counter lacks the window(s) 1d, 1h active_users reports"),
    ],
)
def test_declarations_are_checked(options, message):
    with pytest.raises(ValueError) as raised:
        UserActivity(pipeline=MetricsPipeline(), **options)
    assert str(raised.value) == message


def test_one_user_activity_per_pipeline():
    pipeline = MetricsPipeline()
    UserActivity(pipeline=pipeline)
    with pytest.raises(ValueError) as raised:
        UserActivity(pipeline=pipeline)
    assert str(raised.value) == (
        "this metrics pipeline already has a UserActivity (its active_users gauge exists); "
        "create one UserActivity per pipeline and share it"
    )
