"""Venues (阵地): targets, bookings and figures.

The four targets from plain numbers (``targets``, pure), room bookings and usage days (``bookings``), and the
targets of many communities gathered at once (``figures``).
"""
