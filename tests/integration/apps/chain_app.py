"""Service A or B of test_two_services.py, configured from the environment (``OTEL_*``,
``OBSCODE_*``). With ``DOWNSTREAM_URL`` set it is A: ``GET /front`` calls B's
``GET /back/{item}`` through an ``httpx.AsyncClient``."""

from __future__ import annotations

import os

import httpx
from fastapi import FastAPI

from instrumentation import instrument
from instrumentation.clients import instrument_http_clients

app = FastAPI()
instrument(app)
downstream = os.environ.get("DOWNSTREAM_URL")

if downstream:
    # Explicit until instrument() turns client spans on by default; a second call is harmless.
    instrument_http_clients()

    @app.get("/front")
    async def front() -> dict[str, object]:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(f"{downstream}/back/7")
        response.raise_for_status()
        return {"downstream": response.json()}


@app.get("/back/{item}")
async def back(item: int) -> dict[str, int]:
    return {"item": item}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
