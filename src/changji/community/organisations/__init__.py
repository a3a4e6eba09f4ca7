"""包联 and grid party organisations: who looks after a community, compound or grid, and the grids' branches.

``rules`` (pure) says what a 全要素 organisation has; ``liaisons`` attaches and ends 包联 with their duties and
the points earned there; ``party`` keeps the organisations, their grids and members, and the coverage figures.
"""
