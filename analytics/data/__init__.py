"""Market data, the bottom of analytics: sources, the market cache, FX, fundamentals, symbols,
the circuit breaker. Public, rebuildable data; nothing here knows about users or charts.
"""
