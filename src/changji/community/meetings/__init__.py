"""四方联动: the community's routine four-party meeting, its agenda of issues and its tracked decisions.

* ``rules``    the quorum, the plausible dates and the checks of a decision (pure: no Django)
* ``service``  recording a meeting, completing a decision, the open and overdue decisions of a scope
"""
