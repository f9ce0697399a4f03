"""The /fast probe alone: the ceiling of the server's event loop and of the load generator."""

from locustfiles.common import AsyncGapUser


class FastProbe(AsyncGapUser):
    """Only the base user's /fast task: no slow work at all."""
