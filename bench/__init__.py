"""marketbot's benchmarks: ``make bench`` or ``python -m bench [--quick] [--json]``.

Each module measures one group of figures of docs/benchmarks.md against the local Yahoo
and Discord doubles from ``tests/`` and the real prices in ``../shared/market-data``:
``counts`` (3), ``handlers`` (1, 2, 4), ``e2e`` (5, 6), ``scale`` (7), ``process`` (8).
Nothing here is a test: timings vary by machine, so no timing is asserted anywhere; the
smoke test (tests/bench/test_bench_smoke.py) only checks that the bench runs and that its
request counts, which are deterministic, are exact.
"""
