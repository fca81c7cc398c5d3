"""Prediction statistics of served models: what the model does, beyond how wrong it is.

:class:`ModelStatsMixin` gives :class:`~instrumentation.monitor.ModelMonitor` these methods::

    monitor.load_reference_predictions("tft-sales", validation_predictions)
    with monitor.model_loading("tft-sales"):          # model_load_duration_seconds
        model = load_model(path)
    monitor.track_memory("tft-sales", lambda: estimate_nbytes(model))   # model_memory_bytes
    monitor.set_anomaly_scorer("tft-sales", lambda predictions, actuals: score(predictions))

and records, on every ``record_batch_metrics`` / ``record_prediction``: the prediction
histogram (``model_prediction_value``), the batch size and rows (``model_batch_size``,
``model_batch_rows_total``, ``model_batch_duration_seconds`` with ``duration=``), the mean
interval width, and the signed bias and MSE next to the seed's error gauges. These are
sums and one bucket search per batch. The monitoring cycle does the rest: the drift test of
the recent predictions against the reference predictions (the features' drift code, on one
column), the anomaly scorer over the batches queued since the last cycle, and the memory
source.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import math
import sys
import time
import types
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from instrumentation import catalog
from instrumentation.metrics import HistogramCell, HistogramValues
from instrumentation.monitor.drift import FeatureDrift, check_drift
from instrumentation.monitor.forecast_metrics import ForecastErrors
from instrumentation.monitor.reference import ReferenceProfile
from instrumentation.monitor.window import FeatureWindow

logger = logging.getLogger(__name__)

#: The one column of a model's prediction reference and window.
PREDICTION_FEATURE = "prediction"
#: Batches kept for the anomaly scorer between two cycles; older ones are dropped unscored.
ANOMALY_QUEUE = 256
#: Objects :func:`estimate_nbytes` visits at most (a bound on its time, not on the answer's accuracy).
MAX_VISITED = 2_000_000

#: ``scorer(predictions, actuals)`` -> the batch's anomaly score; ``actuals`` is None when unknown.
AnomalyScorer = Callable[[np.ndarray, "np.ndarray | None"], float]
#: Bytes as a fixed number, or a callable read every cycle.
MemorySource = int | Callable[[], int]


@dataclass
class PredictionStats:
    """One model's prediction state: the recent predictions, their reference and the hooks."""

    window: FeatureWindow
    reference: ReferenceProfile | None = None
    scorer: AnomalyScorer | None = None
    memory: MemorySource | None = None
    pending: deque[tuple[np.ndarray, np.ndarray | None]] = field(default_factory=lambda: deque(maxlen=ANOMALY_QUEUE))
    last_drift: FeatureDrift | None = None
    #: The model's series of ``model_prediction_value`` (found on first use).
    cell: HistogramCell | None = None

    @classmethod
    def create(cls, window_size: int, previous: PredictionStats | None = None) -> PredictionStats:
        """Fresh state; a re-registered model (a new version) keeps its reference and hooks."""
        stats = cls(FeatureWindow(1, window_size))
        if previous is not None:
            stats.reference, stats.scorer, stats.memory = previous.reference, previous.scorer, previous.memory
        return stats


def batch_statistics(predictions: np.ndarray, actuals: np.ndarray | None, errors: ForecastErrors | None,
                     lower: Any = None, upper: Any = None) -> dict[str, float]:
    """``mse``, ``bias`` (mean prediction - actual) and ``bias_percent`` (100 * sum(prediction -
    actual) / sum|actual|) of the pairs ``errors`` counted, and ``interval_width`` (mean upper -
    lower over the finite bounds). Undefined values are left out, never NaN."""
    out: dict[str, float] = {}
    if errors is not None and errors.n and actuals is not None:
        valid = np.isfinite(predictions) & np.isfinite(actuals)
        signed = float(np.sum(predictions[valid] - actuals[valid]))
        out["mse"] = errors.sum_squared_error / errors.n
        out["bias"] = signed / errors.n
        if errors.sum_absolute_actual > 0:
            out["bias_percent"] = 100.0 * signed / errors.sum_absolute_actual
    if lower is not None and upper is not None:
        widths = np.asarray(upper, dtype=np.float64).reshape(-1) - np.asarray(lower, dtype=np.float64).reshape(-1)
        widths = widths[np.isfinite(widths)]
        if widths.size:
            out["interval_width"] = float(widths.mean())
    return {k: v for k, v in out.items() if np.isfinite(v)}


def record_values(histogram: HistogramValues, cell: HistogramCell, values: np.ndarray) -> None:
    """Count finite ``values`` in ``cell`` at once: one ``searchsorted`` with the same ``le``
    rule as :meth:`HistogramValues.record_in` (a value on a bound counts in that bound)."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return
    bounds = np.asarray(histogram.bounds)
    counts = np.bincount(np.searchsorted(bounds, values, side="left"), minlength=bounds.size + 1)
    total = float(values.sum())
    nonzero = np.flatnonzero(counts)
    with histogram.lock:
        for index in nonzero:
            cell.counts[index] += int(counts[index])
        cell.total += total


def estimate_nbytes(obj: Any) -> int:
    """Bytes of ``obj`` and of every object reachable from it, each counted once
    (``sys.getsizeof``, which includes a numpy array's buffer when the array owns it).

    What it misses: memory a native library allocates outside Python objects (a C++ or
    GPU model's weights, a memory-mapped file counts only if an array owns it), and
    classes, modules and functions, which are left out as shared code. It is an estimate
    of the Python heap the model holds, not of the process's resident memory.
    """
    seen: set[int] = set()
    total = 0
    pending = [obj]
    while pending and len(seen) < MAX_VISITED:
        current = pending.pop()
        if id(current) in seen or isinstance(current, type | types.ModuleType | types.FunctionType):
            continue
        seen.add(id(current))
        total += sys.getsizeof(current)
        base = getattr(current, "base", None)
        if isinstance(current, np.ndarray) and isinstance(base, np.ndarray):
            pending.append(base)  # a view: its memory is its base array's
        pending.extend(gc.get_referents(current))
    return total


class ModelStatsMixin:
    """Prediction statistics, hooks and load timing of :class:`ModelMonitor` (see the module
    docstring). Relies on the monitor's ``config``, ``metrics``, ``pipeline`` and ``_model``."""

    config: Any
    metrics: Any
    pipeline: Any
    _model: Callable[[str], Any]

    # -- the user's calls ---------------------------------------------------------------

    def load_reference_predictions(self, model_id: str, predictions: Any) -> None:
        """Predictions of a trusted period (validation, the last good week): each cycle tests
        the recent predictions against them with the monitor's ``drift_method``."""
        model = self._model(model_id)
        values = np.asarray(predictions, dtype=np.float64).reshape(-1)
        if not np.isfinite(values).any():
            raise _error(f"reference predictions of model {model_id!r} have no finite value: pass the "
                         "predictions of a period you trust (validation or a recent good week)")
        model.stats.reference = ReferenceProfile.from_columns({PREDICTION_FEATURE: values}, n_bins=self.config.n_bins)
        model.stats.window = FeatureWindow(1, self.config.window_size)
        logger.info("loaded %d reference predictions for model %s", values.size, model_id)

    def set_anomaly_scorer(self, model_id: str, scorer: AnomalyScorer | None) -> None:
        """``scorer(predictions, actuals) -> float``, called in the monitoring cycle once per
        batch recorded since the last cycle (never on the serving path); the last score is
        ``model_anomaly_score``. None removes it."""
        if scorer is not None and not callable(scorer):
            raise _error(f"anomaly scorer of model {model_id!r} must be callable "
                         f"(predictions, actuals) -> float, got {type(scorer).__name__}")
        self._model(model_id).stats.scorer = scorer

    def track_memory(self, model_id: str, source: MemorySource | None) -> None:
        """Export ``model_memory_bytes`` from ``source``: a number of bytes (an estimate you
        made, e.g. the size of the weights file) or a callable returning one, read each cycle
        (e.g. ``lambda: estimate_nbytes(model)``). None stops exporting a new value."""
        if source is not None and not callable(source):
            if isinstance(source, bool) or not isinstance(source, int | float) or not source >= 0:
                raise _error(f"memory of model {model_id!r} must be a number of bytes >= 0 or a callable "
                             f"returning one, got {source!r}")
        model = self._model(model_id)
        model.stats.memory = source
        if source is not None and not callable(source):
            self.metrics.set(self.metrics.memory, float(source), model.labels)

    @contextmanager
    def model_loading(self, model_id: str) -> Iterator[None]:
        """Time the block that loads the model: on success, its seconds are
        ``model_load_duration_seconds``; a failed load raises as usual and is not exported."""
        model = self._model(model_id)
        started = time.perf_counter()
        try:
            yield
        except BaseException:
            logger.error("loading model %s failed after %.3fs", model_id, time.perf_counter() - started)
            raise
        seconds = time.perf_counter() - started
        self.metrics.set(self.metrics.load_duration, seconds, model.labels)
        logger.info("loaded model %s in %.3fs", model_id, seconds)

    def detect_prediction_drift(self, model_id: str) -> FeatureDrift | None:
        """Test the recent predictions against the reference predictions and export the
        result; None before ``load_reference_predictions``."""
        model = self._model(model_id)
        stats: PredictionStats = model.stats
        if stats.reference is None:
            return None
        method = self.config.drift_method
        result = check_drift(stats.reference, stats.window.snapshot(), method=method,
                             threshold=self.config.threshold_for(method), correction="none",
                             min_samples=self.config.min_samples_for_drift)[0]
        if result.score is not None:
            self.metrics.set(self.metrics.prediction_drift_score, result.score, model.labels)
            if result.p_value is not None:
                self.metrics.set(self.metrics.prediction_drift_p_value, result.p_value, model.labels)
            self.metrics.prediction_drifted.set(1 if result.drifted else 0, model.labels)
            if result.drifted:
                logger.warning("prediction drift for model %s: %s score %.4f", model_id, result.test, result.score)
        stats.last_drift = result
        return result

    # -- called by ModelMonitor -----------------------------------------------------------

    def _record_prediction_stats(self, model: Any, predictions: Any, actuals: Any, errors: ForecastErrors | None,
                                 lower: Any = None, upper: Any = None, duration: float | None = None) -> None:
        """The serving path of a batch: bucket counts, sums and copies only."""
        values = np.asarray(predictions, dtype=np.float64).reshape(-1)
        truth = None if actuals is None else np.asarray(actuals, dtype=np.float64).reshape(-1)
        labels = self._stable_labels(model)
        histogram, cell = self._prediction_series(model)
        record_values(histogram, cell, values)
        model.stats.window.append(values[np.isfinite(values)].reshape(-1, 1))
        self.metrics.batch_size.record(float(values.size), labels)
        self.metrics.add(self.metrics.batch_rows, float(values.size), model.labels)
        if duration is not None and math.isfinite(duration) and duration >= 0:
            self.metrics.batch_duration.record(float(duration), labels)
        for name, value in batch_statistics(values, truth, errors, lower, upper).items():
            if name == "interval_width":
                self.metrics.set(self.metrics.interval_width, value, model.labels)
            else:
                self.metrics.set(self.metrics.error, value, {**model.labels, "metric_type": name})
        if model.stats.scorer is not None:
            model.stats.pending.append((values.copy(), None if truth is None else truth.copy()))

    def _record_single_prediction(self, model: Any, prediction: float, actual: float | None) -> None:
        """The serving path of one prediction: one bisect and one ring-buffer write (its bias
        and MSE come with the other error gauges in the next cycle, as the seed's)."""
        value = float(prediction)
        if math.isfinite(value):
            histogram, cell = self._prediction_series(model)
            index = bisect_left(histogram.bounds, value)
            with histogram.lock:
                cell.counts[index] += 1
                cell.total += value
            model.stats.window.append(np.array([[value]]))
        if model.stats.scorer is not None:
            model.stats.pending.append((np.array([value]), None if actual is None else np.array([float(actual)])))

    def _set_pending_error_stats(self, model: Any, predictions: list[float], actuals: list[float],
                                 errors: ForecastErrors) -> None:
        """Bias and MSE of the single predictions evaluated in this cycle."""
        values = np.asarray(predictions, dtype=np.float64)
        for name, value in batch_statistics(values, np.asarray(actuals, dtype=np.float64), errors).items():
            self.metrics.set(self.metrics.error, value, {**model.labels, "metric_type": name})

    def _prediction_cycle(self, model: Any) -> None:
        """The cycle's part: anomaly scores, memory, prediction drift (one model)."""
        stats: PredictionStats = model.stats
        self._score_pending(model)
        self._read_memory(model)
        if stats.reference is not None and stats.window.filled >= self.config.min_samples_for_drift:
            self.detect_prediction_drift(model.model_id)

    # -- internals ------------------------------------------------------------------------

    def _score_pending(self, model: Any) -> None:
        stats: PredictionStats = model.stats
        scorer = stats.scorer
        if scorer is None:
            stats.pending.clear()
            return
        while stats.pending:
            predictions, actuals = stats.pending.popleft()
            try:
                score = float(scorer(predictions, actuals))
            except Exception:
                logger.exception("anomaly scorer of model %s failed", model.model_id)
                self.metrics.hook_errors.add(1, {**model.labels, "hook": "anomaly_score"})
                continue
            self.metrics.set(self.metrics.anomaly_score, score, model.labels)

    def _read_memory(self, model: Any) -> None:
        source = model.stats.memory
        if source is None or not callable(source):
            return
        try:
            nbytes = float(source())
        except Exception:
            logger.exception("memory source of model %s failed", model.model_id)
            self.metrics.hook_errors.add(1, {**model.labels, "hook": "memory"})
            return
        if nbytes >= 0:
            self.metrics.set(self.metrics.memory, nbytes, model.labels)

    def _prediction_series(self, model: Any) -> tuple[HistogramValues, HistogramCell]:
        histogram = self.__dict__.get("_prediction_values")
        if histogram is None:
            histogram = self.__dict__["_prediction_values"] = self._prediction_histogram()
        if model.stats.cell is None:
            model.stats.cell = histogram.cell(self._stable_labels(model))
        return histogram, model.stats.cell

    def _prediction_histogram(self) -> HistogramValues:
        buckets = tuple(self.config.prediction_buckets)
        spec = dataclasses.replace(catalog.MODEL_PREDICTION_VALUE, buckets=buckets)
        histogram = self.pipeline.histogram(spec)
        if histogram.bounds != buckets:
            raise _error(f"this metrics pipeline already exports model_prediction_value with buckets "
                         f"{histogram.bounds}; monitors sharing a pipeline need the same prediction_buckets "
                         f"(got {buckets}), or pass pipeline=MetricsPipeline() to this one")
        return histogram

    def _stable_labels(self, model: Any) -> dict[str, str]:
        """One dict object per label set, so a re-registered model (same version) keeps its
        histogram series instead of exporting a second one with the same labels."""
        cache: dict[tuple[str, str], dict[str, str]] = self.__dict__.setdefault("_label_dicts", {})
        return cache.setdefault((model.model_id, model.version), model.labels)


def _error(message: str) -> Exception:
    from instrumentation.monitor.monitor import MonitorError

    return MonitorError(message)
