"""What the service's lifespan does beyond opening its resources."""

import gc

import pytest

pytestmark = pytest.mark.anyio


async def test_the_startup_heap_is_out_of_the_collectors_sight_only_while_serving(asgi_client, settings):
    assert gc.get_freeze_count() == 0
    async with asgi_client(settings.model_copy(update={"freeze_heap": True})) as client:
        assert gc.get_freeze_count() > 10_000  # the app, its routes and pydantic models, its resources
        assert (await client.get("/fast")).status_code == 200
    assert gc.get_freeze_count() == 0


async def test_the_heap_is_left_alone_unless_asked(asgi_client, settings):
    async with asgi_client(settings):
        assert gc.get_freeze_count() == 0
