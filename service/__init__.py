"""The demo FastAPI service under test, and the fake upstream API it calls."""
