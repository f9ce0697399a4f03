"""What people read: the dashboard, the console, compare's verdict, the watchdog's sentences,
the run's checks and hints.

It may import `asyncgap.core`, `asyncgap.engines` and `asyncgap.cell`; never the commands.
"""
