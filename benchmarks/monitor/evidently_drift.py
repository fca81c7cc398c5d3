"""Times Evidently's DataDriftPreset on the benchmark arrays (run with Evidently's own venv).

Usage: <evidently-venv>/bin/python evidently_drift.py ARRAYS.npz -> prints JSON {"seconds": ..., "version": ...}
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd


def main() -> None:
    data = np.load(sys.argv[1])
    ref, cur = data["reference"], data["current"]
    columns = [f"f{i}" for i in range(ref.shape[1])]
    reference = pd.DataFrame(ref, columns=columns)
    current = pd.DataFrame(cur, columns=columns)
    import evidently

    version = getattr(evidently, "__version__", "?")
    try:  # Evidently >= 0.7
        from evidently import Report
        from evidently.presets import DataDriftPreset
    except ImportError:  # older layout
        from evidently.metric_preset import DataDriftPreset
        from evidently.report import Report
    report = Report([DataDriftPreset()]) if "Report" in dir() else None
    started = time.perf_counter()
    try:
        result = report.run(current, reference)
    except TypeError:
        report.run(reference_data=reference, current_data=current)
        result = report
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "version": version, "ok": result is not None}))


if __name__ == "__main__":
    main()
