"""总量控制、定额管理: the pure quota policy and the sweep that applies it (warnings, pump stop/start)."""
