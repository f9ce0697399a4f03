"""What runs inside the user's app's own interpreter: the entry the servers import (the app,
wrapped so the watchdog runs with it) and the walk of its routes (how each one runs).

The app may pin another FastAPI, Starlette or pydantic than asyncgap's, so this room uses the
standard library and anyio only, reaches FastAPI through the app's own objects, and may import
`asyncgap.watch` and nothing else of asyncgap: with `--python`, these two rooms are all that is
put on the app's path.
"""
