"""Every matplotlib figure: chart data in, PNG bytes out (Agg backend, no pyplot)."""
