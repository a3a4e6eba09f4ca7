"""Write the notices of an audited event, in the event's own transaction (``core.audit.record`` calls ``notify``).

Because the rows are written in the transaction that writes the event's audit entry, a rolled-back event leaves
no notice and a committed one always has its notices: there is no window where the event happened and nobody
will be told (the transactional outbox pattern). Delivery happens after commit (``delivery``).

A failure to render or address a notice must not undo the event it reports (a pump stop stays a stop): the
rows are written in a savepoint, and an error is logged and leaves the event without notices.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from changji.core.access import allows
from changji.core.models import AuditEntry, Channel, DeliveryState, Notification, NotificationPreference, Region
from changji.core.notifications.events import EventSpec, Message, Recipient, lookup
from changji.core.notifications.policy import mask_phone

log = logging.getLogger("changji.core.notifications")


def notify(entry: AuditEntry) -> list[Notification]:
    """Write the notices of ``entry`` when its action is registered; return them (none for most actions)."""
    spec = lookup(entry.action)
    if spec is None:
        return []
    try:
        with transaction.atomic():
            return _write(spec, entry)
    except Exception:  # any failure of a notice is logged; the event it reports stands
        log.exception("notices of %s %s:%s were not written", entry.action, entry.object_type, entry.object_id)
        return []


def _write(spec: EventSpec, entry: AuditEntry) -> list[Notification]:
    message = spec.render(entry)
    if message is None:
        return []
    region = entry.region or spec.region_of(entry)
    recipients = list(spec.recipients(entry))
    if spec.notify_staff:
        recipients += staff_recipients(spec, region)
    made = [_row(entry, region, message, recipient) for recipient in _unique(recipients)]
    rows = [row for row in made if row is not None]
    Notification.objects.bulk_create(rows)
    # An event nobody is to be told of (no subscribed staff, no phone) is routine: logged at debug only.
    log.log(logging.INFO if rows else logging.DEBUG, "%s: %d notices (%s)", entry.action, len(rows),
            ", ".join(sorted({f"{row.channel}" for row in rows})) or "none")
    return rows


def _unique(recipients: Iterable[Recipient]) -> list[Recipient]:
    seen: set[tuple[str, Any, str]] = set()
    unique = []
    for recipient in recipients:
        key = (recipient.channel, getattr(recipient.user, "pk", None), recipient.address)
        if key not in seen:
            seen.add(key)
            unique.append(recipient)
    return unique


def _address(recipient: Recipient) -> str:
    """The phone number or e-mail address of an SMS or e-mail recipient (the account's, when not given)."""
    if recipient.address or recipient.user is None:
        return recipient.address
    if recipient.channel == Channel.SMS:
        return str(getattr(recipient.user, "phone", "") or "")
    if recipient.channel == Channel.EMAIL:
        return str(getattr(recipient.user, "email", "") or "")
    return ""


def _row(entry: AuditEntry, region: Region | None, message: Message, recipient: Recipient) -> Notification | None:
    address = _address(recipient)
    if recipient.channel == Channel.IN_APP and recipient.user is None:
        return None  # an in-app notice needs an account to read it
    if recipient.channel != Channel.IN_APP and not address:
        who = f"account {recipient.user.pk}" if recipient.user is not None else mask_phone(recipient.name)
        log.info("%s: no %s address for %s", entry.action, recipient.channel, who)
        return None
    now = timezone.now()
    in_app = recipient.channel == Channel.IN_APP
    name = recipient.name or (recipient.user.get_username() if recipient.user is not None else "")
    return Notification(
        event=entry.action, channel=recipient.channel, user=recipient.user, address=address,
        recipient_name=name[:150], region=region, title=message.title[:200], body=message.body,
        sms_params=dict(message.sms_params), target_type=entry.object_type, target_id=entry.object_id,
        link=message.link[:300], source=entry,
        state=DeliveryState.SENT if in_app else DeliveryState.PENDING,
        sent_at=now if in_app else None, next_attempt_at=None if in_app else now,
    )


def channels_for(user: Any, spec: EventSpec, chosen: dict[str, list[str]] | None = None) -> frozenset[str]:
    """The channels ``user`` receives ``spec`` on: their stored choice, else the event's defaults."""
    if chosen is None:
        chosen = dict(NotificationPreference.objects.filter(user=user).values_list("event", "channels"))
    stored = chosen.get(spec.action)
    return frozenset(stored) & frozenset(Channel.values) if stored is not None else spec.staff_channels


def may_receive(user: Any, spec: EventSpec) -> bool:
    """True when the policy lets ``user`` see what ``spec`` notifies (its ``permission``)."""
    return allows(user, spec.permission)


def staff_recipients(spec: EventSpec, region: Region | None) -> list[Recipient]:
    """Every active account whose region covers ``region`` and whose role may see the event, per chosen channel.

    An event without a region notifies no staff: nobody's region can be said to cover it. Superusers without
    a region (system administrators) are not notified of regional events.
    """
    if region is None:
        return []
    users = list(get_user_model().objects.filter(is_active=True, region__code__in=region.ancestors())
                 .select_related("region"))
    users = [user for user in users if may_receive(user, spec)]
    if not users:
        return []
    chosen: dict[int, dict[str, list[str]]] = {}
    for user_id, event, channels in NotificationPreference.objects.filter(
            user__in=users, event=spec.action).values_list("user_id", "event", "channels"):
        chosen.setdefault(user_id, {})[event] = list(channels)
    return [Recipient(channel, user=user) for user in users
            for channel in sorted(channels_for(user, spec, chosen.get(user.pk, {})))]
