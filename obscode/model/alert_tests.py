"""Alert tests as code: promtool's unit-test format (``promtool test rules``), typed.

(Stub: the model is filled in by the alert-tests work of issue 14.)"""

from __future__ import annotations

from obscode.model.base import Model


class AlertTest(Model):
    """One promtool test case: input series, evaluation times, expected alerts."""

    kind = "alert test"
    name_field = "name"

    name: str
