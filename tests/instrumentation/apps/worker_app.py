"""App served by ``uvicorn --workers 2`` in test_multiworker.py (configured from the environment)."""

from __future__ import annotations

import asyncio
import os

import instrumentation.auto  # noqa: F401 - instruments the app below
from fastapi import FastAPI

app = FastAPI()


@app.get("/work")
async def work() -> dict[str, int]:
    await asyncio.sleep(0.01)  # keep requests overlapping so both workers accept some
    return {"pid": os.getpid()}
