"""网格化社区治理: unified grids, party members, micro-wishes, resident issues."""
