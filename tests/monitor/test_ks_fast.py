"""Vectorised asymptotic KS p-values: bit for bit ``scipy.stats.kstwo.sf`` and ``ks_2samp``."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from instrumentation.monitor import ks
from instrumentation.monitor.ks import MAX_EXACT_N, ks_2samp_sorted, ks_pvalues, kstwo_sf


def bits(values: np.ndarray) -> list[int]:
    return np.ascontiguousarray(values, dtype=np.float64).view(np.int64).tolist()


def scipy_sf(d: np.ndarray, n: float) -> np.ndarray:
    return np.clip(np.atleast_1d(stats.kstwo.sf(d, n)), 0.0, 1.0)


def d_values(n: int) -> st.SearchStrategy[list[float]]:
    """D anywhere in [0, 1], on the two-sample lattice, and where unchanged features fall
    (n D^2 below and above scipy's 2.2 switch to ``smirnov``)."""
    scale = 1.0 / np.sqrt(n)
    return st.lists(
        st.one_of(
            st.floats(0.0, 1.0),
            st.floats(0.2 * scale, 3.0 * scale),
            st.integers(0, 600).map(lambda k: k / 600),
            st.sampled_from([0.0, 0.5 / n, 1.0 / n, 0.5, 1.0 - 1.0 / n, 1.0, np.sqrt(2.2 / n), np.sqrt(370 / n)]),
        ),
        min_size=1,
        max_size=12,
    )


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=st.integers(1, 4_000))
def test_sf_of_many_d_is_kstwo_sf_bit_for_bit(data: st.DataObject, n: int) -> None:
    d = np.array(data.draw(d_values(n)))
    assert bits(kstwo_sf(d, float(n))) == bits(scipy_sf(d, float(n)))


@settings(max_examples=8, deadline=None)
@given(data=st.data(), n=st.sampled_from([33_333, 66_667, 100_000, 100_001]))
def test_sf_at_benchmark_sizes_is_kstwo_sf_bit_for_bit(data: st.DataObject, n: int) -> None:
    """n = 33,333 is the benchmark's (100,000 vs 50,000 values); 100,000 is scipy's Durbin limit."""
    d = np.array(data.draw(d_values(n).filter(lambda ds: len(ds) <= 4)))
    assert bits(kstwo_sf(d, float(n))) == bits(scipy_sf(d, float(n)))


def test_sf_of_unchanged_features_is_kstwo_sf_bit_for_bit() -> None:
    """100 D values as 100 unchanged features give them: mostly Pelz-Good, a few smirnov."""
    d = np.abs(np.random.default_rng(3).normal(0.0, 0.9, 100)) / np.sqrt(5_000) + 1e-4
    assert bits(kstwo_sf(d, 5_000.0)) == bits(scipy_sf(d, 5_000.0))


def test_smirnov_values_on_a_pool_are_the_serial_ones() -> None:
    d = np.array([0.02, 0.025, 0.03, 0.01, 0.6, 0.2])
    with ThreadPoolExecutor(max_workers=2) as pool:
        pooled = kstwo_sf(d, 5_000.0, pool)
    assert bits(pooled) == bits(kstwo_sf(d, 5_000.0)) == bits(scipy_sf(d, 5_000.0))


def samples(kind: str, rng: np.random.Generator, n: int, shift: float) -> np.ndarray:
    if kind == "normal":
        return rng.normal(shift, 1.0, n)
    if kind == "ties":
        return np.round(rng.normal(shift, 1.0, n), 1)
    return rng.integers(0, 4, n).astype(float) + np.round(shift)


def assert_bitwise_ks_2samp(a: np.ndarray, b: np.ndarray) -> None:
    expected = stats.ks_2samp(a, b)
    got = ks_2samp_sorted(np.sort(a), np.sort(b))
    assert bits(np.array([got.statistic, got.p_value])) == bits(np.array([expected.statistic, expected.pvalue]))
    assert got.exact == (max(a.size, b.size) <= MAX_EXACT_N)


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["normal", "ties", "four_values"]),
    n1=st.integers(10_001, 60_000),
    n2=st.integers(1, 3_000),
    shift=st.floats(0.0, 0.3),
    seed=st.integers(0, 2**32 - 1),
)
def test_asymptotic_ks_2samp_is_bit_for_bit(kind: str, n1: int, n2: int, shift: float, seed: int) -> None:
    """Asymptotic sizes (the larger sample above 10,000), effective n from 1 to about 2,800."""
    rng = np.random.default_rng(seed)
    assert_bitwise_ks_2samp(samples(kind, rng, n1, 0.0), samples(kind, rng, n2, shift))


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(["normal", "ties"]),
    n1=st.integers(MAX_EXACT_N - 3, MAX_EXACT_N + 3),
    n2=st.integers(1, 200),
    shift=st.floats(0.0, 0.5),
    seed=st.integers(0, 2**32 - 1),
)
def test_ks_2samp_is_bit_for_bit_across_the_exact_asymptotic_switch(
    kind: str, n1: int, n2: int, shift: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    assert_bitwise_ks_2samp(samples(kind, rng, n1, 0.0), samples(kind, rng, n2, shift))


def test_many_features_in_one_call_equal_ks_2samp_per_feature() -> None:
    """The drift check's shape: one ks_pvalues call for every feature, two sizes mixed."""
    rng = np.random.default_rng(4)
    pairs = [
        (rng.normal(size=n1), rng.normal(shift, 1.0, n2))
        for n1, n2 in [(12_000, 3_000), (12_000, 3_000), (20_000, 900)]
        for shift in (0.0, 0.01, 0.03, 0.06, 0.2, 1.0)
    ]
    statistics = [ks.ks_statistic_sorted(np.sort(a), np.sort(b)) for a, b in pairs]
    got = ks_pvalues(statistics, [a.size for a, _ in pairs], [b.size for _, b in pairs])
    expected = [stats.ks_2samp(a, b) for a, b in pairs]
    assert bits(np.array([r.p_value for r in got])) == bits(np.array([e.pvalue for e in expected]))


@pytest.fixture
def reprobed(monkeypatch):
    yield
    monkeypatch.undo()
    assert ks.probe_vectorised_sf()


def test_a_changed_scipy_formula_falls_back_to_kstwo_sf(reprobed, monkeypatch, caplog) -> None:
    """If scipy's formulas stop matching, the probe says so once and kstwo.sf gives the values."""
    monkeypatch.setattr(ks, "_pelz_good_cdf", lambda n, x: np.full(x.shape, 0.5))
    with caplog.at_level(logging.WARNING, logger="instrumentation.compat"):
        assert ks.probe_vectorised_sf() is False
    assert "computes kstwo.sf differently" in caplog.text
    assert "3 of 15 probe values at n = 1000 differ from kstwo.sf" in caplog.text
    d = np.array([0.01, 0.02, 0.05])
    assert bits(kstwo_sf(d, 5_000.0)) == bits(scipy_sf(d, 5_000.0))
