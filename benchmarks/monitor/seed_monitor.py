"""The seed ``model_monitor.py`` approach, reimplemented as the benchmark baseline.

Same data path as the seed: every batch's features become a list of dicts that
grows forever, drift converts that list to a DataFrame and runs
``scipy.stats.ks_2samp`` per feature, and the error gauges are set per batch
(with the seed's MAPE, which divides by the actuals).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from prometheus_client import CollectorRegistry, Counter, Gauge
from scipy.stats import ks_2samp


class SeedMonitor:
    def __init__(self) -> None:
        registry = CollectorRegistry()
        self.predictions = Counter("model_predictions_total", "", ["model_id", "model_version"], registry=registry)
        self.error = Gauge("model_prediction_error", "", ["model_id", "model_version", "metric_type"], registry=registry)
        self.current_data: dict[str, list[dict[str, Any]]] = {}
        self.reference_data: dict[str, pd.DataFrame] = {}

    def record_batch_metrics(self, model_id: str, predictions: Any, actuals: Any, features_df: pd.DataFrame) -> None:
        errors = np.abs(np.array(predictions) - np.array(actuals))
        with np.errstate(divide="ignore", invalid="ignore"):
            mape = np.mean(np.abs(errors / np.array(actuals))) * 100
        self.error.labels(model_id, "1", "mae").set(np.mean(errors))
        self.error.labels(model_id, "1", "mape").set(mape)
        self.error.labels(model_id, "1", "rmse").set(np.sqrt(np.mean(errors**2)))
        self.current_data.setdefault(model_id, []).extend(features_df.to_dict("records"))

    def detect_drift(self, model_id: str) -> dict[str, tuple[float, float]]:
        current_df = pd.DataFrame(self.current_data[model_id])
        reference_df = self.reference_data[model_id]
        out = {}
        for feature in reference_df.select_dtypes(include=["number"]).columns:
            stat, p = ks_2samp(reference_df[feature].dropna(), current_df[feature].dropna())
            out[feature] = (float(stat), float(p))
        return out
