"""Grids (网格): the pure plane geometry (``geo``) and the grids in the database (``service``).

The service holds unified and departmental grids, consolidation, coverage, assignment and the 10-minute
service circle.
"""
