"""Shared core: the GB/T 2260 region tree, accounts with a role and a region scope, the audit log,
and the UI shell every app extends."""
