"""One cell's path, run once from top to bottom: plan, calibrate, predict (before the load),
sample from outside, measure, record, explain.

It may import `asyncgap.core`, `asyncgap.watch` (the watch file's format) and
`asyncgap.engines`; nothing above it (views, commands).
"""
