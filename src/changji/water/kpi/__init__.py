"""The bureau's KPIs (考核指标): pure definitions, terminal-day counts, and the dashboard's figures."""
