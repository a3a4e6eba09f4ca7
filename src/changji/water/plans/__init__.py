"""年度取水计划 (annual withdrawal plans), county 总量 targets, the allocations derived from them, plan against use."""
