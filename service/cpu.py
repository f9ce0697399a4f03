"""The CPU-bound work, in a module light enough for process-pool children to import quickly."""


def crunch(n: int) -> int:
    """n steps of pure-Python arithmetic: holds the GIL throughout, like real CPU-bound code."""
    total = 0
    for i in range(n):
        total = (total + i * i) % 1_000_003
    return total
