"""Pages of the water app: dashboard, map, well page, alarm centre, commands, reports, terminals."""
