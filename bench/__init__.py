"""Benchmarks: a deterministic province-scale data generator and timing of import, monitoring and
self-assessment on SQLite and PostgreSQL (``python -m bench.run``). Timings live here, never in tests."""
