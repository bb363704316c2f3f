"""The server store: users' data (baskets, summary subscriptions, posted slots) and the
weekly schedule rules. Never deleted with the market cache.
"""
