"""Drift methods, corrections, categorical features and degenerate columns."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from instrumentation.monitor.drift import adjust_p_values, check_drift, js_distance, psi
from instrumentation.monitor.reference import ReferenceProfile


def window_of(profile: ReferenceProfile, columns: dict[str, list | np.ndarray]) -> np.ndarray:
    n = len(next(iter(columns.values())))
    block, _ = profile.encode(columns, n)
    return block.T


def test_ks_features_report_scipy_p_values_per_feature() -> None:
    rng = np.random.default_rng(1)
    ref = {"a": rng.normal(size=3000), "b": rng.normal(size=3000)}
    cur = {"a": rng.normal(size=800), "b": rng.normal(0.5, 1.0, 800)}
    profile = ReferenceProfile.from_columns(ref)
    result = {f.feature: f for f in check_drift(profile, window_of(profile, cur))}
    for name in ("a", "b"):
        expected = stats.ks_2samp(ref[name], cur[name])
        assert result[name].statistic == pytest.approx(expected.statistic, abs=1e-12)
        assert result[name].p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-12)
    assert not result["a"].drifted and result["b"].drifted
    assert result["b"].adjusted_p_value == pytest.approx(min(1.0, 2 * result["b"].p_value))


def test_bonferroni_type_one_error_rate_is_at_most_alpha_over_500_no_drift_trials() -> None:
    rng = np.random.default_rng(7)
    ref = {f"f{i}": rng.normal(size=2000) for i in range(10)}
    profile = ReferenceProfile.from_columns(ref)
    alarms = 0
    for _ in range(500):
        cur = {name: rng.normal(size=300) for name in ref}
        alarms += any(f.drifted for f in check_drift(profile, window_of(profile, cur), threshold=0.05))
    # Family-wise rate <= alpha = 0.05 (Bonferroni is conservative); a 1 - p-value > 0.95
    # rule like the seed's would alarm in nearly every trial.
    assert 5 <= alarms <= 40, alarms


def test_benjamini_hochberg_adjustment_is_step_up() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.5])
    assert adjust_p_values(p, "bh") == pytest.approx(stats.false_discovery_control(p, method="bh"))
    assert adjust_p_values(p, "bh") == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])
    assert adjust_p_values(p, "bonferroni") == pytest.approx([0.04, 0.16, 0.12, 1.0])


def test_js_distance_is_scipys_base_2_distance() -> None:
    p = np.array([0.1, 0.4, 0.5, 0.0])
    q = np.array([0.3, 0.3, 0.2, 0.2])
    assert js_distance(p, q) == pytest.approx(jensenshannon(p, q, base=2), abs=1e-12)
    assert js_distance(p, p) == 0.0
    assert js_distance(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(1.0)


def test_psi_counts_empty_bins_as_epsilon_and_stays_finite() -> None:
    value = psi(np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5]))
    assert np.isfinite(value) and value > 1.0


@pytest.mark.parametrize("method", ["js", "psi"])
def test_binned_methods_flag_a_shift_and_not_a_resample(method: str) -> None:
    rng = np.random.default_rng(3)
    profile = ReferenceProfile.from_columns({"x": rng.normal(size=20_000)})
    same = check_drift(profile, window_of(profile, {"x": rng.normal(size=5000)}), method=method,
                       threshold={"js": 0.1, "psi": 0.2}[method])[0]
    shifted = check_drift(profile, window_of(profile, {"x": rng.normal(1.0, 1.0, 5000)}), method=method,
                          threshold={"js": 0.1, "psi": 0.2}[method])[0]
    assert not same.drifted and shifted.drifted
    assert same.p_value is None and 0.0 <= same.score < shifted.score


def test_js_bins_values_beyond_the_reference_range_separately() -> None:
    profile = ReferenceProfile.from_columns({"x": np.arange(1000.0)})
    beyond = check_drift(profile, window_of(profile, {"x": np.full(500, 5000.0)}), method="js")[0]
    assert beyond.score == pytest.approx(1.0)


def test_categorical_feature_uses_chi_square_with_an_unseen_bucket() -> None:
    rng = np.random.default_rng(4)
    profile = ReferenceProfile.from_columns({"store": rng.choice(["a", "b", "c"], 5000).astype(object)})
    cur = ["a"] * 300 + ["b"] * 300 + ["new"] * 300
    result = check_drift(profile, window_of(profile, {"store": cur}))[0]
    table = np.array([list(profile.features[0].counts), [300, 300, 0, 300]])
    expected = stats.chi2_contingency(table, correction=False)
    assert (result.test, result.kind) == ("chi2", "categorical")
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue, abs=1e-300)
    assert result.drifted and 0.0 < result.score <= 1.0


def test_nan_and_inf_are_left_out_of_the_test() -> None:
    rng = np.random.default_rng(5)
    ref = rng.normal(size=2000)
    cur = rng.normal(size=500)
    dirty = np.concatenate([cur, [np.nan] * 40, [np.inf, -np.inf] * 5])
    profile = ReferenceProfile.from_columns({"x": np.concatenate([ref, [np.nan, np.inf]])})
    result = check_drift(profile, window_of(profile, {"x": dirty}))[0]
    expected = stats.ks_2samp(ref, cur)
    assert result.n_current == 500 and result.n_reference == 2000
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)


def test_all_nan_current_column_has_a_status_and_no_score() -> None:
    profile = ReferenceProfile.from_columns({"x": np.arange(100.0), "y": np.arange(100.0)})
    cur = {"x": [np.nan] * 50, "y": list(np.arange(50.0))}
    result = {f.feature: f for f in check_drift(profile, window_of(profile, cur))}
    assert result["x"].status == "no_current_data"
    assert result["x"].score is None and result["x"].p_value is None and not result["x"].drifted
    assert result["y"].status == "ok"


def test_all_nan_reference_column_has_a_status_and_no_score() -> None:
    profile = ReferenceProfile.from_columns({"x": [np.nan] * 20})
    for method in ("ks", "js", "psi"):
        result = check_drift(profile, window_of(profile, {"x": [1.0, 2.0]}), method=method)[0]
        assert (result.status, result.score) == ("no_reference_data", None)


@pytest.mark.parametrize("method", ["ks", "js", "psi"])
def test_constant_columns_report_constant_with_finite_scores(method: str) -> None:
    profile = ReferenceProfile.from_columns({"x": np.full(1000, 2.0), "c": ["a"] * 1000})
    result = check_drift(profile, window_of(profile, {"x": np.full(200, 2.0), "c": ["a"] * 200}),
                         method=method, threshold=0.05 if method == "ks" else 0.1)
    for feature in result:
        assert feature.status == "constant"
        assert feature.score == 0.0 and not feature.drifted


def test_too_few_current_values_are_reported_not_tested() -> None:
    profile = ReferenceProfile.from_columns({"x": np.arange(100.0)})
    result = check_drift(profile, window_of(profile, {"x": [1.0, 2.0]}), min_samples=10)[0]
    assert (result.status, result.score) == ("insufficient_data", None)


def test_unknown_method_and_correction_name_the_choices() -> None:
    profile = ReferenceProfile.from_columns({"x": np.arange(10.0)})
    with pytest.raises(ValueError, match="unknown drift method 'wasserstein': use 'ks', 'js' or 'psi'"):
        check_drift(profile, np.zeros((1, 5)), method="wasserstein")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown correction 'holm'"):
        check_drift(profile, np.zeros((1, 5)), correction="holm")  # type: ignore[arg-type]


def test_a_threaded_check_equals_the_single_threaded_one() -> None:
    rng = np.random.default_rng(9)
    ref = {f"f{i}": rng.normal(size=4000) for i in range(7)} | {"c": rng.choice(["a", "b"], 4000).astype(object)}
    cur = {f"f{i}": rng.normal(0.1 * i, 1.0, 12_000) for i in range(7)} | {"c": ["a", "b", "z"] * 4000}
    profile = ReferenceProfile.from_columns(ref)
    one = check_drift(profile, window_of(profile, cur), threads=1)
    two = check_drift(profile, window_of(profile, cur), threads=2)
    assert one == two
    for feature in one[:7]:
        expected = stats.ks_2samp(ref[feature.feature], cur[feature.feature])
        assert (feature.statistic, feature.p_value) == (expected.statistic, expected.pvalue)
