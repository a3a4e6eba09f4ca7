"""Resident issues (接诉即办): report, respond, resolve, escalate, coordinate, and hear the resident.

* ``workflow``   the state table and the escalation ladder (pure)
* ``categories`` the categories and who an issue is routed to
* ``intake``     reporting: location, duplicates, the public id
* ``changes``    the refusal, the locked row, checked text and the event every change leaves
* ``handlers``   who handles an issue at its rung, their inbox and the actions a page offers
* ``handling``   respond, resolve, the resident's verdict, refuse, escalate
* ``meetings``   four-party coordination and agreed actions
* ``limits``     the time limit of each rung and its light
* ``rates``      the response, resolution and satisfaction rates per region
"""
