"""Groundwater monitoring (地下水动态监测): the pure response index and its fusion with extraction wells."""
