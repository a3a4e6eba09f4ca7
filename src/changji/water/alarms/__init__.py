"""Alarms (告警): the rules, their evaluation over readings, and the service operators call.

``rules`` (the rule table) and ``workflow`` (who may move an alarm where) are pure; ``evaluation`` runs the rules
over stored readings and ``service`` is what the pages and the API call.
"""
