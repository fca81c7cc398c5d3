"""Deployments and rollbacks of the demo service's model, recorded by the model monitor.

Endpoints::

    POST /api/models/{model_id}/deploy    {"model_version": "1.1.0"}   serve a new version
    POST /api/models/{model_id}/rollback                               serve the version before it
    GET  /api/models/{model_id}/deployment                             served version and history

Each call counts ``model_deployments_total{kind, outcome}`` and, when it succeeds, switches
``model_info`` (and the monitor's version label) to the version served. A rollback with no
earlier version fails with 409 and is counted as a failed rollback. Training and validation runs
are a separate process: ``python -m stacks.quantis.service.train``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

logger = logging.getLogger("quantis.mlops")


class DeployRequest(BaseModel):
    model_version: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


class Deployment(BaseModel):
    model_id: str
    model_version: str
    history: list[str]


class Deployments:
    """The versions each model served, newest last; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._history: dict[str, list[str]] = {}

    def served(self, model_id: str, initial: str) -> list[str]:
        with self._lock:
            return list(self._history.setdefault(model_id, [initial]))

    def push(self, model_id: str, version: str) -> list[str]:
        with self._lock:
            self._history[model_id].append(version)
            return list(self._history[model_id])

    def pop(self, model_id: str) -> list[str] | None:
        """Drop the served version; None when there is no earlier one."""
        with self._lock:
            history = self._history[model_id]
            if len(history) < 2:
                return None
            history.pop()
            return list(history)


def install(app: Any, monitor: Any, settings: Any, faults: Any) -> None:
    """Add the deployment routes to the demo service ``app``."""
    from stacks.quantis.service.app import MODEL_ID, MODEL_VERSION

    deployments = Deployments()
    router = APIRouter()

    def known(model_id: str) -> list[str]:
        if model_id != MODEL_ID:
            raise HTTPException(404, f"unknown model {model_id!r}; this service serves {MODEL_ID!r}")
        return deployments.served(model_id, MODEL_VERSION)

    @router.post("/api/models/{model_id}/deploy", response_model=Deployment)
    def deploy(model_id: str, request: DeployRequest) -> Deployment:
        history = known(model_id)
        if request.model_version == history[-1]:
            raise HTTPException(409, f"version {request.model_version} of {model_id} is already served")
        monitor.record_deployment(model_id, request.model_version, kind="deploy")
        history = deployments.push(model_id, request.model_version)
        logger.info("deployed model", extra={"model_id": model_id, "model_version": request.model_version})
        return Deployment(model_id=model_id, model_version=history[-1], history=history)

    @router.post("/api/models/{model_id}/rollback", response_model=Deployment)
    def rollback(model_id: str) -> Deployment:
        served = known(model_id)
        history = deployments.pop(model_id)
        if history is None:
            monitor.record_deployment(model_id, served[-1], kind="rollback", success=False)
            raise HTTPException(409, f"{model_id} serves its first version {served[-1]}; there is nothing to roll "
                                     "back to")
        monitor.record_deployment(model_id, history[-1], kind="rollback")
        logger.warning("rolled back model", extra={"model_id": model_id, "model_version": history[-1],
                                                   "from_version": served[-1]})
        return Deployment(model_id=model_id, model_version=history[-1], history=history)

    @router.get("/api/models/{model_id}/deployment", response_model=Deployment)
    def deployment(model_id: str) -> Deployment:
        history = known(model_id)
        return Deployment(model_id=model_id, model_version=history[-1], history=history)

    app.include_router(router)


def deploy_and_roll_back(service_url: str, stop: Any, candidate: str = "1.1.0") -> None:
    """The ``rollback`` demo scenario: deploy ``candidate``, then roll it back a few seconds later."""
    import httpx

    from stacks.quantis.service.app import MODEL_ID

    with httpx.Client(base_url=service_url, timeout=10.0) as client:
        client.post(f"/api/models/{MODEL_ID}/deploy", json={"model_version": candidate}).raise_for_status()
        if stop.wait(5.0):
            return
        client.post(f"/api/models/{MODEL_ID}/rollback").raise_for_status()
