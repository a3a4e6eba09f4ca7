"""Alarms (告警): the pure rule table and handling workflow, their evaluation over readings, and the
service operators call."""
