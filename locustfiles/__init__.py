"""Locust scenarios: one traffic pattern per file. Run Locust from the repository root."""
