"""The KS test equals scipy.stats.ks_2samp: statistic, p-value and exact/asymptotic choice."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from concurrent.futures import ThreadPoolExecutor

from instrumentation.monitor.ks import (
    MAX_EXACT_N,
    ks_2samp_sorted,
    ks_pvalues,
    ks_statistic_all,
    ks_statistic_sorted,
)


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


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["normal", "heavy_tailed", "heavy_ties", "three_values", "interleaved"]),
    n1=st.integers(1, 600),
    n2=st.integers(2, 600),
    block=st.integers(1, 40),
    shift=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_block_bounded_statistic_is_bitwise_the_full_one(
    kind: str, n1: int, n2: int, block: int, shift: float, seed: int
) -> None:
    """Skipping blocks never changes D, not even in the last bit, whatever the block size."""
    rng = np.random.default_rng(seed)
    if kind == "interleaved":  # reference values sit on and between the current values
        current = np.sort(np.round(rng.normal(shift, 1.0, n2), 2))
        reference = np.sort(np.concatenate([rng.choice(current, n1 // 2 + 1), rng.normal(0.0, 1.0, n1 - n1 // 2)]))
    else:
        reference = np.sort(samples(kind, rng, n1, 0.0))
        current = np.sort(samples(kind, rng, n2, shift))
    assert ks_statistic_sorted(reference, current, block) == ks_statistic_all(reference, current)


def test_benchmark_sized_samples_give_scipys_exact_bits() -> None:
    """100,000 vs 50,000 values (the benchmark's sizes): D and p bit for bit."""
    rng = np.random.default_rng(12)
    reference = rng.normal(size=100_000)
    for current in (rng.normal(size=50_000), rng.normal(0.03, 1.0, 50_000), np.round(rng.normal(size=50_000), 1)):
        expected = stats.ks_2samp(reference, current)
        got = ks_2samp_sorted(np.sort(reference), np.sort(current))
        assert (got.statistic, got.p_value, got.exact) == (expected.statistic, expected.pvalue, False)


def test_p_values_on_a_pool_equal_the_serial_ones() -> None:
    """Exact, asymptotic and repeated inputs: same results with or without threads."""
    statistics = [0.0, 0.01, 0.02, 0.0095, 0.5, 0.01, 0.3, 0.0012]
    n_ref = [100, 20_000, 20_000, 20_000, 20_000, 20_000, 300, 9_000]
    n_cur = [80, 15_000, 15_000, 15_000, 15_000, 15_000, 150, 9_500]
    serial = ks_pvalues(statistics, n_ref, n_cur)
    with ThreadPoolExecutor(max_workers=2) as pool:
        pooled = ks_pvalues(statistics, n_ref, n_cur, pool, 2)
    assert pooled == serial
    assert [r.exact for r in serial] == [True, False, False, False, False, False, True, True]
    for d, n1, n2, r in zip(statistics[1:6], n_ref[1:6], n_cur[1:6], serial[1:6], strict=True):
        m, n = sorted((float(n1), float(n2)), reverse=True)
        assert r.p_value == float(np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0.0, 1.0))
