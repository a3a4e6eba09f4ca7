"""Pages of the water app: dashboard, map, well page, alarm centre, commands, reports, terminals.

The views live in ``changji.water.web`` (one module per page); ``urls.py`` points at them.
"""
