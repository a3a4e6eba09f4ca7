"""The registry of notifiable events: which audit actions become notices, and how each app renders them.

An app registers its events in its ``notices`` module, found the way ``core.jobs`` finds ``jobs`` modules
(``autodiscover_modules``), so the core never imports an app::

    register(EventSpec(
        action="water.quota.stop", label="超指标关泵", permission="water.allocation.read",
        render=render_stop,              # AuditEntry -> Message | None (None: no notice for this entry)
        recipients=water_user_by_sms,    # AuditEntry -> iterable of Recipient (besides the staff)
        staff_channels=frozenset({"in_app", "sms"}),
    ))

For every audit entry of a registered action, ``core.notifications.outbox.notify`` asks ``render`` for the
message, then writes one notice per recipient and channel: the spec's own ``recipients`` (a water user's phone,
the assignee of a work order) and, when ``notify_staff``, every active account whose region covers the entry's
region and whose role may take ``permission``, on the channels the account chose for the event
(``NotificationPreference``) or else ``staff_channels``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.module_loading import autodiscover_modules

from changji.core.models import AuditEntry, Channel, Region

__all__ = ["EventSpec", "Message", "Recipient", "UnknownEvent", "events", "lookup", "register"]


@dataclass(frozen=True)
class Message:
    """What a notice says: a title and a body (Chinese), the SMS template's variables and a link to the object.

    ``sms_params`` are the variables of the provider's approved SMS template for the event (Aliyun
    ``TemplateParam``); ``body`` is the text the template renders, stored on the row and shown in the inbox.
    """

    title: str
    body: str
    sms_params: Mapping[str, str] = field(default_factory=dict)
    link: str = ""


@dataclass(frozen=True)
class Recipient:
    """One recipient on one channel: an account (``user``), or a bare phone number or e-mail address."""

    channel: str
    user: Any = None
    address: str = ""
    name: str = ""


@dataclass(frozen=True)
class EventSpec:
    """One notifiable audit action and how its notices are made (see the module docstring)."""

    action: str
    label: str
    permission: str
    render: Callable[[AuditEntry], Message | None]
    recipients: Callable[[AuditEntry], Iterable[Recipient]] = lambda entry: ()
    notify_staff: bool = True
    staff_channels: frozenset[str] = frozenset({Channel.IN_APP})
    #: The event's region when the entry names none (the target's region under another name).
    region_of: Callable[[AuditEntry], Region | None] = lambda entry: None


class UnknownEvent(LookupError):
    """An action no app registered for notices."""


_events: dict[str, EventSpec] = {}
_discovered = False


def register(spec: EventSpec) -> EventSpec:
    """Register ``spec`` (from an app's ``notices`` module); the same action twice is refused."""
    if spec.action in _events and _events[spec.action] is not spec:
        raise ValueError(f"notice event {spec.action!r} is already registered")
    unknown = set(spec.staff_channels) - set(Channel.values)
    if unknown:
        raise ValueError(f"notice event {spec.action!r}: unknown channels {sorted(unknown)}")
    _events[spec.action] = spec
    return spec


def _discover() -> None:
    global _discovered
    if not _discovered:
        _discovered = True
        autodiscover_modules("notices")  # imports each app's ``notices`` module once


def events() -> list[EventSpec]:
    """Every registered event, in the order the apps registered them."""
    _discover()
    return list(_events.values())


def lookup(action: str) -> EventSpec | None:
    """The spec registered for ``action``, or None (most audited actions notify nobody)."""
    _discover()
    return _events.get(action)


def spec_of(action: str) -> EventSpec:
    """The spec registered for ``action``; ``UnknownEvent`` when there is none."""
    found = lookup(action)
    if found is None:
        raise UnknownEvent(action)
    return found
