"""The KS test equals scipy.stats.ks_2samp: statistic, p-value and exact/asymptotic choice."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from instrumentation.monitor.ks import MAX_EXACT_N, ks_2samp_sorted


def assert_same_as_scipy(a: np.ndarray, b: np.ndarray) -> None:
    with warnings.catch_warnings(record=True) as scipy_warned:
        warnings.simplefilter("always")
        expected = stats.ks_2samp(a, b)
    with warnings.catch_warnings(record=True) as we_warned:
        warnings.simplefilter("always")
        got = ks_2samp_sorted(np.sort(a), np.sort(b))
    assert abs(got.statistic - expected.statistic) <= 1e-12
    assert got.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-12)
    # Exact unless too large, or scipy's exact routine gave up (and both say so).
    assert len(we_warned) == len(scipy_warned)
    assert got.exact == (max(a.size, b.size) <= MAX_EXACT_N and not scipy_warned)


def samples(draw_kind: str, rng: np.random.Generator, n: int, shift: float) -> np.ndarray:
    if draw_kind == "normal":
        return rng.normal(shift, 1.0, n)
    if draw_kind == "heavy_tailed":
        return rng.standard_t(1.5, n) + shift
    if draw_kind == "heavy_ties":
        return np.round(rng.normal(shift, 1.0, n))
    return rng.integers(0, 3, n).astype(float) + np.round(shift)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["normal", "heavy_tailed", "heavy_ties", "three_values"]),
    n1=st.integers(1, 400),
    n2=st.integers(1, 400),
    shift=st.floats(0.0, 1.5),
    seed=st.integers(0, 2**32 - 1),
)
def test_matches_scipy_on_random_pairs(kind: str, n1: int, n2: int, shift: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    assert_same_as_scipy(samples(kind, rng, n1, 0.0), samples(kind, rng, n2, shift))


@settings(max_examples=60, deadline=None)
@given(a=st.lists(st.integers(-3, 3), min_size=1, max_size=8), b=st.lists(st.integers(-3, 3), min_size=1, max_size=8))
def test_matches_scipy_on_tiny_samples(a: list[int], b: list[int]) -> None:
    assert_same_as_scipy(np.array(a, dtype=float), np.array(b, dtype=float))


@settings(max_examples=15, deadline=None)
@given(
    kind=st.sampled_from(["normal", "heavy_tailed", "heavy_ties"]),
    n1=st.integers(MAX_EXACT_N - 50, 30_000),
    n2=st.integers(2_000, 20_000),
    shift=st.floats(0.0, 0.05),
    seed=st.integers(0, 2**32 - 1),
)
def test_matches_scipy_around_the_exact_asymptotic_switch(kind: str, n1: int, n2: int, shift: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    assert_same_as_scipy(samples(kind, rng, n1, 0.0), samples(kind, rng, n2, shift))


def test_identical_constant_samples_give_d_zero_and_p_one() -> None:
    got = ks_2samp_sorted(np.full(50, 3.0), np.full(70, 3.0))
    assert (got.statistic, got.p_value) == (0.0, 1.0)


def test_disjoint_constant_samples_give_d_one() -> None:
    assert_same_as_scipy(np.full(50, 3.0), np.full(70, 4.0))
    assert ks_2samp_sorted(np.full(50, 3.0), np.full(70, 4.0)).statistic == 1.0
