"""Notifications (通知): an outbox in core, written with the event and delivered after commit.

* ``events`` — the registry: an app registers the audit actions it wants notified (``EventSpec``), from its
  ``notices`` module, found like ``jobs`` modules; core never imports an app.
* ``outbox`` — ``notify(entry)``, called by ``core.audit.record`` in the event's transaction: renders the
  registered event and writes one ``Notification`` row per recipient and channel.
* ``states`` — the delivery state table (``core.transitions``); ``policy`` — backoff, rate limit, masking (pure).
* ``delivery`` — claims due rows and sends them (``sms`` — Aliyun SendSms; e-mail through Django's SMTP backend);
  the job ``core.notifications.deliver`` and ``changji notifications deliver`` run it.
* ``web`` and ``api`` — the inbox, the channel preferences and the operators' delivery log.
"""
