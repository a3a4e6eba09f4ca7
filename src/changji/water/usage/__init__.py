"""Water and electricity use from cumulative registers.

Pure register arithmetic (``registers``) and its numpy twin (``arrays``), then the per-well reference rebuild,
the live and batch paths, monthly rollups, totals, and the derivation loop.
"""
