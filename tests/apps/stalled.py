"""A FastAPI app whose `async def` route calls blocking code: the anti-pattern its `async def`
does not tell, which calibration must find before any load (tests/e2e/test_own_app_stalled.py).

- GET /legacy: an `async def` route that calls time.sleep, as a blocking client would: it holds
  the event loop for the whole call, and spends almost no CPU doing it.
- GET /ready: an `async def` route that awaits asyncio.sleep as long: it holds nothing.
"""

import asyncio
import time

from fastapi import FastAPI

WAIT_S = 0.05

app = FastAPI(title="stalled: the fixture app")


@app.get("/legacy")
async def legacy() -> dict[str, bool]:
    time.sleep(WAIT_S)  # a blocking call on the event loop
    return {"done": True}


@app.get("/ready")
async def ready() -> dict[str, bool]:
    await asyncio.sleep(WAIT_S)
    return {"ready": True}
