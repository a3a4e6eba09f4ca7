"""Staff and public pages of the community app (grids, issues, people, wishes, venues, dashboard), a module each."""
