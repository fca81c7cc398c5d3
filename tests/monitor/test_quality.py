"""Data quality of a monitored model's inputs: missing and out-of-range shares, schema
changes of feature frames, and the rank correlation of feature importances."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from instrumentation.catalog import OVERFLOW_VALUE
from instrumentation.metrics import MetricsPipeline
from instrumentation.monitor import ModelMonitor
from instrumentation.monitor.quality import (
    MAX_EXTRA_COLUMNS, column_kind, rank_correlation, schema_changes, window_quality,
)
from instrumentation.monitor.reference import ReferenceProfile

MODEL = {"model_id": "tft-sales", "model_version": "1.0.0"}
REFERENCE = pd.DataFrame({
    "price": [10.0, 12.0, 14.0, 16.0, 18.0, 20.0],
    "store": ["a", "b", "c", "a", "b", "c"],
})


def labels(**extra: str) -> frozenset[tuple[str, str]]:
    return frozenset({**MODEL, **extra}.items())


@pytest.fixture
def profile() -> ReferenceProfile:
    return ReferenceProfile.from_columns(REFERENCE)


@pytest.fixture
def monitor(pipeline: MetricsPipeline) -> ModelMonitor:
    m = ModelMonitor({"window_size": 100, "min_samples_for_drift": 50}, pipeline=pipeline)
    m.register_model("tft-sales", "1.0.0")
    assert m.load_reference_data("tft-sales", REFERENCE)
    return m


def counted(scrape) -> dict[frozenset[tuple[str, str]], float]:
    """The schema-change series that counted something (the reference columns start at 0)."""
    return {k: v for k, v in scrape("model_feature_schema_changes_total").items() if v}


def window_of(profile: ReferenceProfile, frame: pd.DataFrame) -> np.ndarray:
    block, _ = profile.encode(frame, len(frame))
    return block.T


# -- shares of the window --------------------------------------------------------------------


def test_missing_share_counts_nan_and_none_over_the_window_rows(profile: ReferenceProfile) -> None:
    frame = pd.DataFrame({"price": [11.0, np.nan, 13.0, np.nan], "store": ["a", None, "b", "c"]})
    shares = {q.feature: q.missing_share for q in window_quality(profile, window_of(profile, frame))}
    assert shares == {"price": 0.5, "store": 0.25}


def test_out_of_range_share_counts_values_beyond_the_reference_min_and_max(profile: ReferenceProfile) -> None:
    frame = pd.DataFrame({"price": [9.99, 10.0, 20.0, 20.01, np.inf, np.nan, 15.0, 15.0],
                          "store": ["a"] * 8})
    quality = {q.feature: q for q in window_quality(profile, window_of(profile, frame))}
    # 9.99, 20.01 and inf are outside [10, 20]; the bounds themselves are inside; NaN is missing.
    assert quality["price"].out_of_range_share == 3 / 8
    assert quality["price"].missing_share == 1 / 8


def test_out_of_range_share_of_a_categorical_feature_counts_unseen_categories(profile: ReferenceProfile) -> None:
    frame = pd.DataFrame({"price": [15.0] * 4, "store": ["a", "z", "y", None]})
    quality = {q.feature: q for q in window_quality(profile, window_of(profile, frame))}
    assert quality["store"].out_of_range_share == 0.5
    assert quality["store"].missing_share == 0.25


def test_a_feature_without_finite_reference_values_has_no_range() -> None:
    profile = ReferenceProfile.from_columns({"empty": np.array([np.nan, np.nan])})
    (quality,) = window_quality(profile, np.array([[1.0, np.nan]]))
    assert quality.out_of_range_share is None and quality.missing_share == 0.5


def test_an_empty_window_has_no_quality(profile: ReferenceProfile) -> None:
    assert window_quality(profile, np.empty((2, 0))) == []


# -- schema changes --------------------------------------------------------------------------


def test_schema_of_a_matching_frame_has_no_changes(profile: ReferenceProfile) -> None:
    assert schema_changes(profile, pd.DataFrame({"store": ["a"], "price": [1.0]})) == []


def test_schema_changes_name_missing_extra_and_retyped_columns(profile: ReferenceProfile) -> None:
    frame = pd.DataFrame({"price": ["cheap", "dear"], "region": ["n", "s"]})
    changes = [(c.feature, c.change, c.expected, c.got) for c in schema_changes(profile, frame)]
    assert changes == [
        ("price", "retyped", "numeric", "categorical"),
        ("store", "missing", "categorical", None),
        ("region", "extra", None, "categorical"),
    ]


def test_a_column_named_by_a_number_is_an_extra_column_under_its_text(profile: ReferenceProfile) -> None:
    frame = pd.DataFrame({"price": [1.0], "store": ["a"], 7: ["x"]})
    assert [(c.feature, c.change, c.got) for c in schema_changes(profile, frame)] == [("7", "extra", "categorical")]


def test_an_object_column_of_a_dataframe_is_told_by_its_values(profile: ReferenceProfile) -> None:
    frame = pd.DataFrame({"price": pd.Series([1.5, None], dtype=object), "store": pd.Series([1, 2], dtype=object)})
    assert [(c.feature, c.change, c.got) for c in schema_changes(profile, frame)] == [
        ("store", "retyped", "numeric")]


def test_numbers_in_an_object_column_or_list_with_gaps_are_numeric() -> None:
    assert column_kind(pd.Series([1.5, None, 2], dtype=object)) == "numeric"
    assert column_kind([1.5, None]) == "numeric"
    assert column_kind(["a", 1]) == "categorical"
    assert column_kind([None, None]) is None
    assert column_kind(np.array([True, False])) == "numeric"


def test_a_column_with_no_present_value_is_not_retyped(profile: ReferenceProfile) -> None:
    assert schema_changes(profile, {"price": [None, None], "store": ["a", "b"]}) == []


def test_schema_changes_are_counted_per_frame_and_logged_once(monitor: ModelMonitor, scrape, caplog) -> None:
    frame = pd.DataFrame({"price": [11.0, 12.0], "shop": ["a", "b"]})
    with caplog.at_level(logging.WARNING, logger="instrumentation.monitor.monitor"):
        for _ in range(3):
            monitor.record_batch_metrics("tft-sales", None, None, frame)
    assert counted(scrape) == {
        labels(feature_name="store", change="missing"): 3.0,
        labels(feature_name="shop", change="extra"): 3.0,
    }
    logged = [r.getMessage() for r in caplog.records if "schema change" in r.getMessage()]
    assert logged == [
        "schema change in features of model tft-sales: column 'store' (categorical) is missing from the feature frame",
        "schema change in features of model tft-sales: column 'shop' (categorical) is not in the reference",
    ]


def test_reference_columns_start_at_zero_so_the_first_bad_frame_is_an_increase(monitor: ModelMonitor,
                                                                              scrape) -> None:
    assert scrape("model_feature_schema_changes_total") == {
        labels(feature_name=name, change=change): 0.0
        for name in ("price", "store") for change in ("missing", "retyped")}
    monitor.register_model("tft-sales", "1.1.0")
    started = {dict(k)["model_version"] for k in scrape("model_feature_schema_changes_total")}
    assert started == {"1.0.0", "1.1.0"}


def test_single_predictions_are_checked_against_the_schema_too(monitor: ModelMonitor, scrape) -> None:
    monitor.record_prediction("tft-sales", {"price": "12.5", "store": "a"}, 1.0)
    assert counted(scrape) == {labels(feature_name="price", change="retyped"): 1.0}


def test_extra_column_names_past_the_cap_share_the_overflow_series(monitor: ModelMonitor, scrape) -> None:
    for i in range(MAX_EXTRA_COLUMNS + 5):
        monitor.record_batch_metrics("tft-sales", None, None, {"price": [1.0], "store": ["a"], f"col{i}": [1.0]})
    names = {dict(k)["feature_name"] for k in counted(scrape)}
    assert len(names) == MAX_EXTRA_COLUMNS + 1
    overflow = scrape("model_feature_schema_changes_total")[labels(feature_name=OVERFLOW_VALUE, change="extra")]
    assert overflow == 5.0


# -- importance rank correlation ---------------------------------------------------------------


def test_rank_correlation_matches_scipy_spearmanr_on_ties() -> None:
    reference = {"a": 0.5, "b": 0.2, "c": 0.2, "d": 0.1}
    current = {"a": 0.1, "b": 0.4, "c": 0.3, "d": 0.3}
    expected = spearmanr([0.5, 0.2, 0.2, 0.1], [0.1, 0.4, 0.3, 0.3]).statistic
    assert rank_correlation(reference, current) == pytest.approx(expected, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=2, max_size=30))
def test_rank_correlation_equals_spearmanr(pairs: list[tuple[int, int]]) -> None:
    reference = {f"f{i}": float(a) for i, (a, _) in enumerate(pairs)}
    current = {f"f{i}": float(b) for i, (_, b) in enumerate(pairs)}
    a, b = zip(*pairs, strict=True)
    ours = rank_correlation(reference, current)
    if len(set(a)) == 1 or len(set(b)) == 1:
        assert ours is None  # scipy answers nan (with a warning) for a constant input
    else:
        assert ours == pytest.approx(spearmanr(a, b).statistic, abs=1e-9)


def test_rank_correlation_uses_only_the_common_features() -> None:
    assert rank_correlation({"a": 3, "b": 2, "c": 1}, {"a": 1, "b": 2, "z": 9}) == -1.0
    assert rank_correlation({"a": 3, "b": 2}, {"a": 1, "z": 2}) is None


def test_the_first_importances_recorded_are_the_reference(monitor: ModelMonitor, scrape) -> None:
    monitor.record_feature_importance("tft-sales", {"price": 0.6, "store": 0.3, "promo": 0.1})
    monitor.run_monitoring_cycle()
    assert scrape("model_feature_importance_rank_correlation") == {labels(): 1.0}
    monitor.record_feature_importance("tft-sales", {"price": 0.1, "store": 0.3, "promo": 0.6})
    monitor.run_monitoring_cycle()
    assert scrape("model_feature_importance_rank_correlation") == {labels(): -1.0}


def test_importances_that_are_all_non_finite_do_not_become_the_reference(monitor: ModelMonitor, scrape) -> None:
    monitor.record_feature_importance("tft-sales", {"price": float("nan")})
    monitor.record_feature_importance("tft-sales", {"price": 0.6, "store": 0.3, "promo": 0.1})
    monitor.record_feature_importance("tft-sales", {"price": 0.3, "store": 0.6, "promo": 0.1})
    monitor.run_monitoring_cycle()
    assert scrape("model_feature_importance_rank_correlation") == {labels(): pytest.approx(0.5)}


def test_the_latest_importances_replace_the_current_ones(monitor: ModelMonitor, scrape) -> None:
    monitor.record_feature_importance("tft-sales", {"price": 0.6, "store": 0.3, "promo": 0.1})
    monitor.record_feature_importance("tft-sales", {"price": 0.1, "store": 0.3, "promo": 0.6})
    monitor.record_feature_importance("tft-sales", {"price": 0.2, "store": 0.1})  # promo no longer reported
    monitor.run_monitoring_cycle()
    assert scrape("model_feature_importance_rank_correlation") == {labels(): 1.0}


def test_set_reference_importance_replaces_the_first_recorded(monitor: ModelMonitor, scrape) -> None:
    monitor.record_feature_importance("tft-sales", {"price": 0.6, "store": 0.3, "promo": 0.1})
    monitor.set_reference_importance("tft-sales", {"price": 0.1, "store": 0.2, "promo": 0.7})
    monitor.run_monitoring_cycle()
    assert scrape("model_feature_importance_rank_correlation") == {labels(): -1.0}


def test_a_new_version_keeps_the_reference_importances(monitor: ModelMonitor, scrape) -> None:
    monitor.record_feature_importance("tft-sales", {"price": 0.6, "store": 0.3, "promo": 0.1})
    monitor.register_model("tft-sales", "1.1.0")
    monitor.record_feature_importance("tft-sales", {"price": 0.3, "store": 0.6, "promo": 0.1})
    monitor.run_monitoring_cycle()
    got = scrape("model_feature_importance_rank_correlation")
    assert got[frozenset({"model_id": "tft-sales", "model_version": "1.1.0"}.items())] == pytest.approx(0.5)


# -- the cycle exports the shares ---------------------------------------------------------------


def test_the_cycle_exports_missing_and_out_of_range_shares(monitor: ModelMonitor, scrape) -> None:
    frame = pd.DataFrame({"price": [15.0, 30.0, np.nan, 12.0], "store": ["a", "b", "q", None]})
    monitor.record_batch_metrics("tft-sales", None, None, frame)
    assert scrape("model_feature_missing_share") == {}  # computed in the cycle, not on record
    monitor.run_monitoring_cycle()
    assert scrape("model_feature_missing_share") == {
        labels(feature_name="price"): 0.25, labels(feature_name="store"): 0.25}
    assert scrape("model_feature_out_of_range_share") == {
        labels(feature_name="price"): 0.25, labels(feature_name="store"): 0.25}


def test_a_dropped_column_is_missing_in_every_row_of_its_frames(monitor: ModelMonitor, scrape) -> None:
    monitor.record_batch_metrics("tft-sales", None, None, pd.DataFrame({"price": [15.0, 16.0]}))
    monitor.record_batch_metrics("tft-sales", None, None, REFERENCE.head(2))
    monitor.run_monitoring_cycle()
    assert scrape("model_feature_missing_share")[labels(feature_name="store")] == 0.5
