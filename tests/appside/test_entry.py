"""asyncgap.appside.entry: the servers' import of a user's app, its watchdog running with the
app's lifespan, the setup's thread tokens applied, the wrapper itself never named as a call site."""

import asyncio
import importlib
import sys
import time

from anyio import to_thread

from asyncgap.watch import watchfile


def test_the_wrapped_app_runs_the_watchdog_for_its_lifespan(tmp_path, monkeypatch):
    monkeypatch.setenv("ASYNCGAP_APP", "tests.apps.capped:app")
    monkeypatch.setenv("ASYNCGAP_METRICS_DIR", str(tmp_path))
    monkeypatch.setenv("ASYNCGAP_THREAD_TOKENS", "7")
    sys.modules.pop("asyncgap.appside.entry", None)
    entry = importlib.import_module("asyncgap.appside.entry")
    seen: dict = {}

    async def lifespan() -> None:
        events = asyncio.Queue()
        sent: list[str] = []
        await events.put({"type": "lifespan.startup"})

        async def send(message) -> None:
            sent.append(message["type"])
            if message["type"] == "lifespan.startup.complete":
                dog = entry.app.watchdog
                seen["skipped"] = not dog.namer.is_app(type(entry.app).__call__.__code__)
                seen["tokens"] = to_thread.current_default_thread_limiter().total_tokens
                deadline = time.monotonic() + 3
                while not list(tmp_path.glob(f"{watchfile.PREFIX}*")) and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                seen["files"] = len(list(tmp_path.glob(f"{watchfile.PREFIX}*")))
                await events.put({"type": "lifespan.shutdown"})

        await entry.app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, events.get, send)
        seen["sent"] = sent

    asyncio.run(lifespan())
    assert seen["sent"] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert seen["files"] == 1  # the watchdog wrote its file while the app lived
    assert list(tmp_path.glob(f"{watchfile.PREFIX}*")) == []  # and removed it when it stopped
    assert seen["tokens"] == 7
    assert seen["skipped"]
    assert entry.app.watchdog is None
