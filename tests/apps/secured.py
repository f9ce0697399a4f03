"""A small FastAPI app with what a real app's routes often carry and the walk must read right.

- GET /articles: a public GET behind an *optional* API key (`auto_error=False`), listed in the
  OpenAPI schema as secured all the same; it answers 200 without credentials.
- GET /me: behind a required API key; it refuses a call without one (401 or 403, by FastAPI version).
- Both depend on `settings`, a `def` cached with functools.lru_cache, as FastAPI's own docs
  suggest for settings.
"""

from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.security import APIKeyHeader

app = FastAPI(title="secured: the fixture app")
optional_key = APIKeyHeader(name="Authorization", auto_error=False)
required_key = APIKeyHeader(name="Authorization")


@lru_cache
def settings() -> dict[str, str]:
    return {"region": "local"}


@app.get("/articles")
async def articles(
    key: Annotated[str | None, Depends(optional_key)], config: Annotated[dict, Depends(settings)]
) -> dict[str, object]:
    return {"articles": [], "signed_in": key is not None, "region": config["region"]}


@app.get("/me")
async def me(key: Annotated[str, Depends(required_key)], config: Annotated[dict, Depends(settings)]) -> dict:
    return {"key": len(key), "region": config["region"]}
