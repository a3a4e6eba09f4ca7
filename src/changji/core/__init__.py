"""Shared core: the GB/T 2260 region tree, accounts with a role and a region scope, the audit log, the UI shell.

Every app extends the shell and uses the rest; the core imports no app (tests/test_architecture.py).
"""
