"""Writes ``sales_reference.csv``: the feature distribution the sales model was trained on.

Run from the repository root: ``python -m stacks.quantis.service.data.generate_reference``.
Deterministic (fixed seed), so the committed file only changes when the generator does.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from stacks.quantis.service.sales import FEATURES, sample_features

ROWS = 3000
SEED = 20230410
PATH = Path(__file__).with_name("sales_reference.csv")


def main() -> None:
    columns = sample_features(np.random.default_rng(SEED), ROWS)
    with PATH.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(FEATURES)
        for row in zip(*(columns[name] for name in FEATURES), strict=True):
            writer.writerow(f"{value:.2f}" for value in row)
    print(f"wrote {ROWS} rows to {PATH.name}")


if __name__ == "__main__":
    main()
