"""定额管理: the 用水定额 table, crop plans, suggested volume and use above 定额 (issue 14)."""
