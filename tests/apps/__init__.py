"""Fixture apps for `asyncgap run --app`, written for the tests: each fails under load in a known way."""
