"""Water and electricity use from cumulative registers: pure register arithmetic and arrays, then the
per-well reference rebuild, the live and batch paths, monthly rollups, totals, and the derivation loop."""
