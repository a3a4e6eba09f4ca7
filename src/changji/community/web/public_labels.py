"""The state and rung names the residents' pages show, marked for translation (Chinese source, Kazakh catalogue).

The staff pages name states from the workflow tables (``ISSUE_LABELS``, ``LEVEL_LABELS``, ``WISH_LABELS``);
the same Chinese words are written out here as ``gettext_lazy`` literals so that ``makemessages`` finds them.
``tests/community/web/test_public_pages.py`` checks that every state of the tables has its entry, with the
same Chinese text.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from changji.community.issues.workflow import EscalationLevel, IssueState
from changji.community.wishes.workflow import WishState

ISSUE_STATE_NAMES: dict[IssueState, Promise] = {
    IssueState.REPORTED: _("待响应"), IssueState.ACCEPTED: _("办理中"), IssueState.RESOLVED: _("待评价"),
    IssueState.CLOSED: _("已关闭"), IssueState.REOPENED: _("重新办理"), IssueState.REJECTED: _("不予受理"),
}
LEVEL_NAMES: dict[EscalationLevel, Promise] = {
    EscalationLevel.GRID: _("网格"), EscalationLevel.COMMUNITY: _("社区"),
    EscalationLevel.FOUR_PARTY: _("四方协商"), EscalationLevel.STREET: _("街道（乡镇）"),
}
WISH_STATE_NAMES: dict[WishState, Promise] = {
    WishState.POSTED: _("待审核"), WishState.PUBLISHED: _("待认领"), WishState.REJECTED: _("未通过"),
    WishState.CLAIMED: _("已认领"), WishState.FULFILLED: _("待确认"), WishState.CONFIRMED: _("已确认"),
}
#: The wishes the public sees: published ones and their later states (not those under review or rejected).
PUBLIC_WISH_STATES = (WishState.PUBLISHED, WishState.CLAIMED, WishState.FULFILLED, WishState.CONFIRMED)
