"""Two-sample Kolmogorov–Smirnov test against a reference sorted once.

The results equal ``scipy.stats.ks_2samp(reference, current)`` (two-sided,
``method="auto"``): the same statistic, the same choice between the exact and the
asymptotic p-value (exact when both samples have at most 10,000 values), and the
same p-value, because the p-value comes from the same scipy routines.

What is faster than calling ``ks_2samp`` per feature:

* the reference is sorted once, when it is loaded, not on every check;
* the statistic does not look up every current value in the reference. The sorted
  current sample is cut into blocks of ``BLOCK`` values; a few lookups per block (in
  the small :func:`coarse_index` of the reference, kept with it) give exact integer
  bounds on ``n1 n2 (F_ref - F_cur)`` inside the block, and only the
  blocks whose bound can reach the largest (or smallest) difference seen at a block
  boundary are evaluated point by point, with scipy's own expressions
  (``count / n``). Every skipped point differs from the extreme by at least
  ``1 / (n1 n2)``, far more than the rounding of those expressions, so the result is
  bit-for-bit the full computation (which runs when ``n1 n2`` is too large for that
  argument or the current sample is small);
* asymptotic p-values of all features with the same effective sample size are
  evaluated together by :func:`kstwo_sf`: scipy's branch tests for every D at once, one
  ``scipy.special.smirnov`` ufunc call for the values scipy sends there, the Pelz-Good
  series of the rest as arrays, in scipy's order of operations, so the values are
  ``ks_2samp``'s own ``kstwo.sf`` bit for bit (checked when this module is imported).
  The ``smirnov`` values themselves (n D^2 between 2.2 and 370, tens of milliseconds each
  at n = 33,333) cost what they cost in ``ks_2samp``: the same bits need the same sum.
"""

from __future__ import annotations

import inspect
import logging
import math
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

from typing import Any

import numpy as np
from scipy import __version__ as scipy_version
from scipy import special, stats

#: Above this sample size scipy's ``method="auto"`` switches to the asymptotic p-value.
MAX_EXACT_N = 10_000

_logger = logging.getLogger("instrumentation.compat")
_EXACT_PARAMETERS = ("n1", "n2", "g", "d", "alternative")


def probe_exact_routine() -> Callable[..., Any] | None:
    """scipy's own exact-path routine (private), if it is there and still behaves as
    ``ks_2samp``'s exact p-value: then exact p-values match scipy's bit for bit from the
    statistic alone. Otherwise ``None``, with one warning: exact p-values then come from the
    public ``scipy.stats.ks_2samp`` on the samples (same values, slower)."""
    global _scipy_exact
    try:
        from scipy.stats._stats_py import _attempt_exact_2kssamp as routine  # noqa: PLC0415

        parameters = tuple(inspect.signature(routine).parameters)
        if parameters != _EXACT_PARAMETERS:
            raise TypeError(f"parameters are {parameters}, not {_EXACT_PARAMETERS}")
        x = np.array([0.1, 0.4, 0.7, 1.3, 2.0])
        y = np.array([0.2, 0.3, 0.5, 0.9, 1.1, 1.7, 2.5])
        expected = stats.ks_2samp(x, y, method="exact")
        success, _, p_value = routine(5, 7, 1, float(expected.statistic), "two-sided")
        if not success or float(p_value) != float(expected.pvalue):
            raise ValueError(f"p-value {p_value} where ks_2samp gives {expected.pvalue}")
    except Exception as error:  # noqa: BLE001 - moved, renamed or changed: the public path
        if _scipy_exact is not None or not _probed:
            _logger.warning(
                "instrumentation: scipy %s changed scipy.stats._stats_py._attempt_exact_2kssamp (%s: %s); "
                "exact KS p-values come from the public scipy.stats.ks_2samp instead (same values, slower)",
                scipy_version, type(error).__name__, error,
            )
        routine = None
    _scipy_exact = routine
    return routine


_probed = False
_scipy_exact: Callable[..., Any] | None = None
probe_exact_routine()
_probed = True


@dataclass(frozen=True)
class KSResult:
    """One feature's test: ``statistic`` is D, ``exact`` tells which p-value path ran."""

    statistic: float
    p_value: float
    exact: bool


#: Current values per block of the bounded statistic (see the module docstring).
BLOCK = 16
#: Stride of the coarse reference index used for the block bounds.
COARSE = 16
#: Above this ``n1 * n2`` the pruning argument no longer holds: compute every point.
MAX_PRUNED_PRODUCT = 2**49


def coarse_index(reference: np.ndarray) -> np.ndarray:
    """Every ``COARSE``-th value of a sorted reference (the last of each group), kept
    with the reference so the block bounds search a small, cache-resident array."""
    return np.ascontiguousarray(reference[COARSE - 1 :: COARSE])


def ks_statistic_sorted(
    reference: np.ndarray, current: np.ndarray, block: int = BLOCK, coarse: np.ndarray | None = None
) -> float:
    """D = sup |F_ref - F_cur| for two sorted, non-empty, finite samples.

    Bit-for-bit the value ``ks_2samp`` computes before its p-value step (the same
    points, the same ``count / n`` expressions); see the module docstring for how
    blocks of the current sample that cannot hold the extreme are skipped.
    ``coarse`` is :func:`coarse_index` of ``reference`` (computed here if not given).
    """
    n1 = reference.shape[0]
    n2 = current.shape[0]
    if n2 < 2 * block or n1 * n2 > MAX_PRUNED_PRODUCT:
        return ks_statistic_all(reference, current)
    if coarse is None:
        coarse = coarse_index(reference)
    # Blocks [s, e) of the sorted current sample; integer bounds on
    # V = n2 * #ref<=x - n1 * #cur<=x for x in [c_s, c_e). Reference counts come from
    # the coarse index: groups of COARSE values wholly below a key count in full, the
    # group the key falls in counts as anything from none to all but one of its values.
    starts = np.arange(0, n2, block)
    last = np.minimum(starts + block, n2) - 1
    keys = current[starts]
    groups_below = np.searchsorted(coarse, keys, side="left")
    groups_at = _at_from_below(coarse, keys, groups_below) if coarse.shape[0] else groups_below
    below_low = groups_below * COARSE  # <= #ref < key
    at_low = groups_at * COARSE  # <= #ref <= key
    at_high = np.minimum(at_low + (COARSE - 1), n1)  # >= #ref <= key
    cur_ties = bool(np.any(current[1:] == current[:-1]))
    if cur_ties:
        cur_at = np.searchsorted(current, keys, side="right")
        cur_at_last = np.searchsorted(current, current[last], side="right")
    else:
        cur_at, cur_at_last = starts + 1, last + 1
    upper = np.append(at_high[1:], n1) * n2 - (starts + 1) * n1
    lower = below_low * n2 - cur_at_last * n1
    # Values at the block starts are real points, so the extremes are at least as far
    # out as these bounds of them; reference points before c_0 are exact.
    first_below = int(np.searchsorted(reference, current[0], side="left"))
    seed_max = max(int((at_low * n2 - cur_at * n1).max()), first_below * n2, 0)
    seed_min = int((at_high * n2 - cur_at * n1).min())
    candidate = (upper >= seed_max) | (lower <= seed_min)

    # Every point of the candidate blocks, with the expressions of ks_statistic_all.
    j = np.flatnonzero(np.repeat(candidate, block)[:n2])
    values = current[j]
    below = np.searchsorted(reference, values, side="left")
    at = _at_from_below(reference, values, below)
    cur_counts = np.searchsorted(current, values, side="right") if cur_ties else j + 1
    diff_at_current = at / n1 - cur_counts / n2
    min_s = min(max(-float(diff_at_current.min()), 0.0), 1.0)
    # Largest F_ref - F_cur at a reference point in (c_j, c_{j+1}): #ref < c_{j+1},
    # from the next candidate or, past a block's end, a lookup of the next block's start.
    below_next = np.empty_like(below)
    below_next[:-1] = below[1:]
    gap = np.ones(j.shape[0], dtype=bool)
    gap[:-1] = j[1:] != j[:-1] + 1
    has_next = j < n2 - 1
    jump = np.flatnonzero(gap & has_next)
    below_next[jump] = np.searchsorted(reference, current[j[jump] + 1], side="left")
    between = below_next[has_next] / n1 - cur_counts[has_next] / n2
    max_s = max(
        float(diff_at_current.max()),
        float(between.max()) if between.size else 0.0,
        first_below / n1 - 0 / n2,
        0.0,
    )
    return min_s if min_s > max_s else max_s


def _at_from_below(reference: np.ndarray, values: np.ndarray, below: np.ndarray) -> np.ndarray:
    """``searchsorted(reference, values, side="right")`` given the ``side="left"``
    result: they differ only where a value occurs in the reference."""
    n1 = reference.shape[0]
    equal = reference[np.minimum(below, n1 - 1)] == values
    equal &= below < n1
    if not equal.any():
        return below
    at = below.copy()
    at[equal] = np.searchsorted(reference, values[equal], side="right")
    return at


def ks_statistic_all(reference: np.ndarray, current: np.ndarray) -> float:
    """D evaluated at every point (the reference for :func:`ks_statistic_sorted`).

    Evaluates the ECDF difference exactly where ``ks_2samp`` does, with the same
    floating-point expressions (``count / n``), so the value is identical.
    """
    n1 = reference.shape[0]
    n2 = current.shape[0]
    # F_ref just below and at each current value.
    below = np.searchsorted(reference, current, side="left")
    at = below
    inside = below < n1
    equal = np.zeros(n2, dtype=bool)
    equal[inside] = reference[below[inside]] == current[inside]
    if equal.any():
        at = below.copy()
        at[equal] = np.searchsorted(reference, current[equal], side="right")
    # F_cur at each current value (right-continuous: ties count in full).
    cur_at = _right_counts(current)

    diff_at_current = at / n1 - cur_at / n2
    min_s = min(max(-float(diff_at_current.min()), 0.0), 1.0)
    # Largest F_ref - F_cur at a reference point: on [c_j, c_{j+1}) F_cur is
    # constant and F_ref is largest just below c_{j+1}; before c_0, F_cur is 0.
    between = below[1:] / n1 - cur_at[:-1] / n2
    max_s = max(
        float(diff_at_current.max()),
        float(between.max()) if between.size else 0.0,
        below[0] / n1 - 0 / n2,
        0.0,
    )
    return min_s if min_s > max_s else max_s


def _right_counts(sorted_values: np.ndarray) -> np.ndarray:
    """For each element, how many elements are <= it (ties share the last index)."""
    n = sorted_values.shape[0]
    last_of_run = np.empty(n, dtype=bool)
    last_of_run[:-1] = sorted_values[1:] != sorted_values[:-1]
    last_of_run[-1] = True
    if last_of_run.all():
        return np.arange(1, n + 1)
    ends = np.flatnonzero(last_of_run)
    lengths = np.diff(ends, prepend=-1)
    return np.repeat(ends + 1, lengths)


def ks_pvalues(
    statistics: Sequence[float],
    n_reference: Sequence[int],
    n_current: Sequence[int],
    pool: Executor | None = None,
    workers: int = 1,
    samples: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
) -> list[KSResult]:
    """p-values for many (D, n1, n2) triples, choosing exact or asymptotic like scipy.

    Each distinct exact input is computed once. Asymptotic p-values sharing an
    effective size ``round(n1 n2 / (n1 + n2))`` go to :func:`kstwo_sf` as one array (its
    ``smirnov`` values one per task on ``pool`` when given with ``workers > 1``); the
    values are those of ``ks_2samp``'s one ``kstwo.sf`` call per feature.

    ``samples`` (the ``(reference, current)`` pair of each statistic) are needed only where
    scipy's private exact routine is unusable (see :func:`probe_exact_routine`): exact
    p-values then come from ``ks_2samp`` on them (without them, from the asymptotic formula).
    """
    results: list[KSResult | None] = [None] * len(statistics)
    asymptotic: dict[float, list[tuple[int, float]]] = {}
    exact_inputs: dict[tuple[float, int, int], list[int]] = {}
    for i, (d, n1, n2) in enumerate(zip(statistics, n_reference, n_current, strict=True)):
        if max(n1, n2) <= MAX_EXACT_N:
            exact_inputs.setdefault((float(d), int(n1), int(n2)), []).append(i)
        else:
            _add_asymptotic(asymptotic, i, d, n1, n2)
    if _scipy_exact is None and samples is not None:
        for members in exact_inputs.values():
            for i in members:
                public = stats.ks_2samp(*samples[i])
                results[i] = KSResult(float(public.statistic), float(public.pvalue), exact=True)
        exact_inputs = {}
    keys = list(exact_inputs)
    exact = list(pool.map(_exact_of, keys)) if pool is not None and len(keys) > 1 else [_exact_of(k) for k in keys]
    for key, result in zip(keys, exact, strict=True):
        for i in exact_inputs[key]:
            if result is not None:
                results[i] = result
            else:  # scipy warns and falls back to the asymptotic formula here too.
                d, n1, n2 = key
                _add_asymptotic(asymptotic, i, _lattice_statistic(d, n1, n2), n1, n2)
    for en, members in asymptotic.items():
        ds = np.array([d for _, d in members])
        sf = kstwo_sf(ds, en, pool if workers > 1 else None)
        for (i, d), p in zip(members, sf, strict=True):
            results[i] = KSResult(float(d), float(p), exact=False)
    return [r for r in results if r is not None]


def _add_asymptotic(groups: dict[float, list[tuple[int, float]]], i: int, d: float, n1: int, n2: int) -> None:
    m, n = sorted((float(n1), float(n2)), reverse=True)
    en = float(np.round(m * n / (m + n)))
    groups.setdefault(en, []).append((i, d))


def _exact_of(key: tuple[float, int, int]) -> KSResult | None:
    return _exact(*key)


def _lattice_statistic(d: float, n1: int, n2: int) -> float:
    g = math.gcd(n1, n2)
    lcm = (n1 // g) * n2
    return int(np.round(d * lcm)) * 1.0 / lcm


def _exact(d: float, n1: int, n2: int) -> KSResult | None:
    g = math.gcd(n1, n2)
    if _scipy_exact is None:  # no samples to give ks_2samp: the asymptotic p-value
        return None
    try:
        success, d_exact, prob = _scipy_exact(n1, n2, g, d, "two-sided")
    except Exception as error:  # noqa: BLE001 - changed after the probe: scipy's own fallback
        warnings.warn(
            f"ks_2samp: scipy's exact routine failed ({type(error).__name__}: {error}); using the asymptotic p-value",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
    if not success:
        warnings.warn(
            f"ks_2samp: exact p-value for sizes {n1} and {n2} failed; using the asymptotic one",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
    return KSResult(float(d_exact), float(np.clip(prob, 0.0, 1.0)), exact=True)


def ks_2samp_sorted(reference: np.ndarray, current: np.ndarray) -> KSResult:
    """``ks_2samp`` for one pair of sorted, finite, non-empty samples."""
    d = ks_statistic_sorted(reference, current)
    return ks_pvalues([d], [reference.shape[0]], [current.shape[0]], samples=[(reference, current)])[0]


# -- asymptotic p-values of many features in one vectorised evaluation ---------------------
#
# ``ks_2samp`` (two-sided, asymptotic) returns ``clip(kstwo.sf(D, n), 0, 1)``; for the
# sizes the asymptotic path sees (n > 140) scipy picks, per D, one of: 1 below the support,
# 0 at D >= 1 or n D^2 >= 370, ``2 smirnov(n, D)`` for D >= 0.5 or n D^2 >= 2.2, and
# ``1 - PelzGood(n, D)`` for most unchanged features; the rare rest (D <= 1/n, D >= 1 - 1/n,
# very small D) stays with ``kstwo.sf``. The same branch tests, the same ufuncs (``smirnov``,
# ``exp``, array ``power``) and the same order of IEEE operations give the same bits;
# scalar powers use ``math.pow`` because scipy raises numpy scalars to powers (libm ``pow``),
# which array ``**`` does not always match (``x ** 2`` is a square). Checked against
# ``kstwo.sf`` when imported (:func:`probe_vectorised_sf`).

#: Below this n scipy uses other, exact formulas: ``kstwo.sf`` itself is used.
_MIN_VECTORISED_N = 141
_PI_SQUARED = math.pi**2
_PI_FOUR = math.pi**4
_PI_SIX = math.pi**6
_SQRT2PI = math.sqrt(2 * math.pi)
_SQRT3 = math.sqrt(3)
_MIN_LOG = -708


def kstwo_sf(d: np.ndarray, n: float, pool: Executor | None = None) -> np.ndarray:
    """``np.clip(scipy.stats.kstwo.sf(d, n), 0, 1)`` for an array of D values and one
    integral ``n``, bit for bit: the cheap branches for all features at once, every
    ``smirnov`` evaluation in one ufunc call (or one per value on ``pool``)."""
    d = np.ascontiguousarray(d, dtype=np.float64).reshape(-1)
    if not _vectorised_sf_ok or n < _MIN_VECTORISED_N or n != int(n):
        return np.clip(np.atleast_1d(stats.kstwo.sf(d, n)), 0.0, 1.0)
    n_int = int(n)
    out = np.full(d.shape, np.nan)
    t = n_int * d
    nx2 = t * d
    below = d <= 0.5 / n
    above = d >= 1.0
    out[below] = 1.0
    out[above] = 0.0
    inside = ~(below | above)
    # scipy's own formulas where t <= 1 (the Ruben-Gambino ends) or n D^1.5 <= 1.4 (Durbin).
    ends = inside & ((t <= 1.0) | (t >= n_int - 1))
    rest = inside & ~ends
    smirnov_at = rest & ((d >= 0.5) | ((nx2 >= 2.2) & (nx2 < 370.0)))
    out[rest & (d < 0.5) & (nx2 >= 370.0)] = 0.0
    small = rest & ~smirnov_at & (d < 0.5) & (nx2 < 2.2)
    with np.errstate(all="ignore"):
        durbin = small & (n_int <= 100_000) & (n_int * d**1.5 <= 1.4)
    pelz_at = small & ~durbin
    fallback = ends | durbin
    if fallback.any():
        out[fallback] = stats.kstwo.sf(d[fallback], n)
    if smirnov_at.any():
        xs = d[smirnov_at]
        if pool is not None and xs.shape[0] > 1:
            out[smirnov_at] = [2 * float(v) for v in pool.map(lambda x: special.smirnov(n_int, x), xs)]
        else:
            out[smirnov_at] = 2 * special.smirnov(n_int, xs)
    if pelz_at.any():
        out[pelz_at] = 1.0 - _pelz_good_cdf(n_int, d[pelz_at])
    return np.clip(out, 0.0, 1.0)


def _pow(values: np.ndarray, exponent: int) -> np.ndarray:
    """libm ``pow`` per value, as numpy scalars get it."""
    return np.array([math.pow(v, exponent) for v in values.tolist()])


def _pelz_good_cdf(n: int, x: np.ndarray) -> np.ndarray:
    """The Pelz-Good approximation of ``P(D_n <= x)`` for 0 < x < 1, elementwise, with
    scipy's operations in scipy's order (``scipy.stats._ksstats._kolmogn_PelzGood``)."""
    cdf = np.zeros(x.shape)
    z = math.sqrt(n) * x
    z2, z3, z4, z6 = _pow(z, 2), _pow(z, 3), _pow(z, 4), _pow(z, 6)
    qlog = -_PI_SQUARED / 8 / z2
    live = qlog >= _MIN_LOG  # below: the CDF is 0
    maxk = np.ceil(16 * z / np.pi).astype(np.int64)
    for kmax in np.unique(maxk[live]).tolist():
        at = live & (maxk == kmax)
        cdf[at] = _pelz_good_group(n, int(kmax), z[at], z2[at], z3[at], z4[at], z6[at], qlog[at])
    return cdf


def _pelz_good_group(
    n: int, maxk: int, z: np.ndarray, z2: np.ndarray, z3: np.ndarray, z4: np.ndarray, z6: np.ndarray,
    qlog: np.ndarray,
) -> np.ndarray:
    """Pelz-Good for values sharing the number of series terms ``maxk``."""
    q = np.exp(qlog)
    k1a, k1b = -z2, _PI_SQUARED / 4
    k2a = 6 * z6 + 2 * z4
    k2b = (2 * z4 - 5 * z2) * _PI_SQUARED / 4
    k2c = _PI_FOUR * (1 - 2 * z2) / 16
    k3d = _PI_SIX * (5 - 30 * z2) / 64
    k3c = _PI_FOUR * (-60 * z2 + 212 * z4) / 16
    k3b = _PI_SQUARED * (135 * z4 - 96 * z6) / 4
    k3a = -30 * z6 - 90 * _pow(z, 8)
    terms = np.zeros((4, z.shape[0]))
    for k in range(maxk, 0, -1):  # Horner over the odd m = 2k - 1
        m = 2 * k - 1
        qpower = np.power(q, 8 * k)
        terms *= qpower
        terms[0] += 1.0
        terms[1] += k1a + k1b * m**2
        terms[2] += k2a + k2b * m**2 + k2c * m**4
        terms[3] += k3a + k3b * m**2 + k3c * m**4 + k3d * m**6
    terms *= q
    terms *= _SQRT2PI
    terms /= np.stack([z, 6 * z4, 72 * _pow(z, 7), 6480 * _pow(z, 10)])
    q = np.exp(-_PI_SQUARED / 2 / z2)
    ks = np.arange(maxk, 0, -1)
    ksquared = ks**2
    sqrt3z = (_SQRT3 * z)[:, None]
    kspi = np.pi * ks
    qpowers = q[:, None] ** ksquared
    k2extra = np.sum(ksquared * qpowers, axis=1)
    k2extra *= _PI_SQUARED * _SQRT2PI / (-36 * z3)
    terms[2] += k2extra
    k3extra = np.sum((sqrt3z + kspi) * (sqrt3z - kspi) * ksquared * qpowers, axis=1)
    k3extra *= _PI_SQUARED * _SQRT2PI / (216 * z6)
    terms[3] += k3extra
    terms /= np.power(n * 1.0, np.arange(4) / 2.0)[:, None]
    return terms[0] + terms[1] + terms[2] + terms[3]


def probe_vectorised_sf() -> bool:
    """Whether :func:`kstwo_sf` still gives ``kstwo.sf``'s bits on every branch it
    evaluates itself (scipy may change its formulas); if not, one warning and
    ``kstwo.sf`` is used (same values, slower)."""
    global _vectorised_sf_ok
    _vectorised_sf_ok = True
    # Every branch at n = 1,000: below the support, the ends, Durbin, Pelz-Good, smirnov;
    # at n = 20,000 the zero above n D^2 = 370 (at n = 1,000 the D >= 0.5 smirnov comes first).
    probes = {
        1_000: [0.0, 0.0005, 0.0008, 0.001, 0.004, 0.012, 0.02, 0.03, 0.0469, 0.047, 0.08, 0.3, 0.6, 0.9995, 1.0],
        20_000: [0.01, 0.14, 0.2],
    }
    try:
        for n, values in probes.items():
            d = np.array(values)
            got = kstwo_sf(d, float(n))
            expected = np.clip(stats.kstwo.sf(d, float(n)), 0.0, 1.0)
            mismatched = int(np.sum(got.view(np.int64) != expected.view(np.int64)))
            if mismatched:
                raise ValueError(f"{mismatched} of {d.shape[0]} probe values at n = {n} differ from kstwo.sf")
    except Exception as error:  # noqa: BLE001 - any change: scipy's own function
        _logger.warning(
            "instrumentation: scipy %s computes kstwo.sf differently (%s: %s); asymptotic KS p-values "
            "come from scipy.stats.kstwo.sf one call per size instead (same values, slower)",
            scipy_version, type(error).__name__, error,
        )
        _vectorised_sf_ok = False
    return _vectorised_sf_ok


_vectorised_sf_ok = True
probe_vectorised_sf()
