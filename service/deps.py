"""Annotated dependencies handing endpoints the resources the lifespan opened.

They are `async def` on purpose: a `def` dependency would run in the thread pool and make
the `async-blocking` variant use a thread after all.
"""

from concurrent.futures import ProcessPoolExecutor
from typing import Annotated

import httpx
from fastapi import Depends, Request

from service.resources import Resources
from service.store import Store


def _resources(request: Request) -> Resources:
    return request.app.state.resources


async def _store(request: Request) -> Store:
    return _resources(request).store


async def _http(request: Request) -> httpx.Client:
    return _resources(request).http


async def _async_http(request: Request) -> httpx.AsyncClient:
    return _resources(request).async_http


async def _cpu_pool(request: Request) -> ProcessPoolExecutor:
    return _resources(request).cpu_pool


StoreDep = Annotated[Store, Depends(_store)]
HttpDep = Annotated[httpx.Client, Depends(_http)]
AsyncHttpDep = Annotated[httpx.AsyncClient, Depends(_async_http)]
CpuPoolDep = Annotated[ProcessPoolExecutor, Depends(_cpu_pool)]
