"""The harness: matrix -> servers -> swarms -> results -> dashboard."""
