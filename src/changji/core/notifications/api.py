"""The caller's inbox over the JSON API (``/api/notifications``): list (paged, ``unread`` filter) and mark read.

Only the caller's own in-app notices are ever listed or changed: another account's notice is a 404, as if it
did not exist. Every role may use it (``core.notification.read``).
"""

from datetime import datetime

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema
from ninja.pagination import paginate

from changji.core.access import P
from changji.core.api_schemas import Id, Pagination
from changji.core.guards import operation
from changji.core.models import Notification
from changji.core.notifications.web import inbox_of

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    """One in-app notice: what it says, what it is about, and whether it was read."""

    id: int
    event: str
    title: str
    body: str
    link: str
    target_type: str
    target_id: str
    created_at: datetime
    read_at: datetime | None


@router.get("", response=list[NotificationOut], url_name="notifications")
@paginate(Pagination)
@operation(P.NOTIFICATION_READ)
def list_notifications(request: HttpRequest, unread: bool = False) -> QuerySet[Notification]:
    """The caller's in-app notices, newest first; ``unread=true`` lists the unread ones only."""
    rows = inbox_of(request.user)
    return (rows.filter(read_at__isnull=True) if unread else rows).order_by("-created_at", "-id")


@router.post("/{notification_id}/read", response=NotificationOut, url_name="notification_read")
@operation(P.NOTIFICATION_READ)
def read_notification(request: HttpRequest, notification_id: Id) -> Notification:
    """Mark one of the caller's notices read (reading it again keeps the first time)."""
    notice = get_object_or_404(inbox_of(request.user), pk=notification_id)
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    return notice
