"""A tiny, real training (or validation) run of the demo service's Holt-Winters model, recorded
with ``instrumentation.training`` and pushed to a Pushgateway::

    python -m stacks.quantis.service.train --model-version 1.1.0 --dataset-version 2026-11
    python -m stacks.quantis.service.train --kind validation --model-version 1.2.0 --candidate degraded
    python -m stacks.quantis.service.train --model-version 1.2.0 --truncated   # fails: too little history

Training picks the smoothing parameters with the lowest holdout error over a small grid (the
``tuned`` candidate); validation scores a candidate's parameters on the holdout. ``degraded`` is
a deliberately poor candidate (no seasonality), so its validation is worse than the tuned one's.
The gateway is ``--gateway``, else ``OBSCODE_PUSHGATEWAY_URL``, else 127.0.0.1:9091.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from instrumentation.monitor import forecast_errors
from instrumentation.training import training_run
from stacks.quantis.service import sales
from stacks.quantis.service.forecaster import SEASON, holt_winters

MODEL_ID = "tft-sales"
HOLDOUT_DAYS = 28
#: Stores the run trains and validates on (the first few keep a run well under a second).
STORES = (0, 1, 2)
GRID = {"alpha": (0.1, 0.3, 0.5), "beta": (0.01, 0.05), "gamma": (0.1, 0.3)}


@dataclass(frozen=True)
class Params:
    alpha: float
    beta: float
    gamma: float


#: The degraded candidate follows the last value and ignores the weekly season.
DEGRADED = Params(alpha=0.95, beta=0.3, gamma=0.0)


@dataclass(frozen=True)
class Score:
    mape: float
    rmse: float
    wape: float
    loss: float  # mean squared holdout error, scaled by the mean squared actual


def score(params: Params, histories: Sequence[np.ndarray]) -> Score:
    """Forecast each history's last ``HOLDOUT_DAYS`` from the days before and compare."""
    predictions, actuals = [], []
    for series in histories:
        train, holdout = series[:-HOLDOUT_DAYS], series[-HOLDOUT_DAYS:]
        predictions.append(holt_winters(train, HOLDOUT_DAYS, params.alpha, params.beta, params.gamma).mean)
        actuals.append(holdout)
    pred, act = np.concatenate(predictions), np.concatenate(actuals)
    errors = forecast_errors(pred, act)
    loss = float(np.mean((pred - act) ** 2) / np.mean(act ** 2))
    return Score(mape=float(errors.mape or 0.0), rmse=float(errors.rmse or 0.0), wape=float(errors.wape or 0.0),
                 loss=loss)


def tune(histories: Sequence[np.ndarray]) -> tuple[Params, Score]:
    """The grid's parameters with the lowest holdout loss."""
    candidates = [Params(a, b, g) for a, b, g in itertools.product(GRID["alpha"], GRID["beta"], GRID["gamma"])]
    scored = [(params, score(params, histories)) for params in candidates]
    return min(scored, key=lambda pair: pair[1].loss)


def histories(truncated: bool = False) -> list[np.ndarray]:
    """The stores' sales; ``truncated`` keeps too few days for a forecast (the model refuses them)."""
    keep = HOLDOUT_DAYS + SEASON if truncated else None
    return [sales.history(store)[-keep:] if keep else sales.history(store) for store in STORES]


def run(kind: str, model_version: str, dataset_version: str, *, candidate: str = "tuned", truncated: bool = False,
        gateway: str | None = None) -> Score:
    """One training or validation run inside ``training_run``; returns its score."""
    with training_run(MODEL_ID, model_version=model_version, dataset_version=dataset_version, kind=kind,
                      gateway=gateway) as recorded:
        data = histories(truncated)
        if candidate == "degraded":
            result = score(DEGRADED, data)
        else:
            result = tune(data)[1]
        recorded.loss(result.loss)
        for name in ("mape", "rmse", "wape"):
            recorded.metric(name, getattr(result, name))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stacks.quantis.service.train", description=__doc__.split("\n")[0])
    parser.add_argument("--kind", choices=("training", "validation"), default="training")
    parser.add_argument("--model-version", required=True)
    parser.add_argument("--dataset-version", default="demo")
    parser.add_argument("--candidate", choices=("tuned", "degraded"), default="tuned")
    parser.add_argument("--truncated", action="store_true", help="train on too little history (the run fails)")
    parser.add_argument("--gateway", default=None)
    args = parser.parse_args(argv)
    try:
        result = run(args.kind, args.model_version, args.dataset_version, candidate=args.candidate,
                     truncated=args.truncated, gateway=args.gateway)
    except ValueError as exc:
        print(f"{args.kind} run of {MODEL_ID} {args.model_version} failed: {exc}", file=sys.stderr)
        return 1
    print(f"{args.kind} run of {MODEL_ID} {args.model_version}: MAPE {result.mape:.2f}%, RMSE {result.rmse:.2f}, "
          f"loss {result.loss:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
