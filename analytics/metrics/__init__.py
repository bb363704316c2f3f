"""Metrics over market data: periods, returns, valuation, market cap, levels, chart data,
summaries. Pure computations that return dataclasses; they read market data, never draw.
"""
