"""asyncgap: measure, predict and explain the throughput gap between blocking and non-blocking
code in a FastAPI app, under the servers it runs on.

The rooms, from the ground floor up (a room imports only the rooms below it):
- `core`: the matrix, names, stations, variants, intervals, typed records. Imports nothing here.
- `watch`: the event-loop watchdog any app can run. The standard library and anyio only.
- `engines`: where servers and Locust run (processes, the reaper, PostgreSQL, Compose).
- `cell`: one cell's path: plan, calibrate, predict, measure, record, explain.
- `views`: the dashboard, the console, compare, verdict sentences.
- `run`, `meta`, `ui`, `bench`, `cli` (its `arguments`): the commands, which may use every room.
"""
