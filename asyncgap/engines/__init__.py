"""Where a cell's servers and Locust run: local processes (started, bounded and reaped by one
helper, so nothing outlives the harness), a throwaway PostgreSQL, or Docker Compose.

It may import `asyncgap.core`; nothing above it (cells, views, commands).
"""
