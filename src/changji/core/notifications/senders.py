"""The channels' senders: SMS through Aliyun SendSms over HTTP(S), e-mail through Django's SMTP backend.

A sender takes a batch of claimed notices and returns one ``Result`` per notice; it never raises for one
notice's failure. The SMS sender keeps one HTTP/1.1 connection per worker thread and sends a batch over a few
threads (the provider answers each request in tens of milliseconds; one at a time would cap a batch at that
rate). Settings: ``CHANGJI_SMS_*`` and Django's ``EMAIL_*`` (``changji.settings``); the AccessKey secret and the
SMTP password are never logged, and phone numbers are masked in every log line.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from changji.core.models import Channel, Notification
from changji.core.notifications import aliyun_sms
from changji.core.notifications.aliyun_sms import Outcome
from changji.core.notifications.policy import mask_address

log = logging.getLogger("changji.core.notifications")


@dataclass(frozen=True)
class Result:
    """What became of one notice: an ``aliyun_sms.Outcome``, the provider's id, or the error."""

    outcome: Outcome
    provider_id: str = ""
    error: str = ""


class Sender:
    channel: str = ""

    def configured(self) -> bool:
        return True

    def send(self, notices: Sequence[Notification]) -> list[Result]:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections (the delivery loop calls it when it ends)."""


@dataclass(frozen=True)
class SmsSettings:
    endpoint: str
    credentials: aliyun_sms.Credentials
    sign_name: str
    region_id: str
    template_codes: Mapping[str, str]
    timeout_s: float

    @classmethod
    def from_settings(cls) -> SmsSettings:
        try:
            codes = json.loads(settings.CHANGJI_SMS_TEMPLATE_CODES or "{}")
        except ValueError:
            log.error("CHANGJI_SMS_TEMPLATE_CODES is not a JSON object; no SMS template is configured")
            codes = {}
        return cls(settings.CHANGJI_SMS_ENDPOINT,
                   aliyun_sms.Credentials(settings.CHANGJI_SMS_ACCESS_KEY_ID, settings.CHANGJI_SMS_ACCESS_KEY_SECRET),
                   settings.CHANGJI_SMS_SIGN_NAME, settings.CHANGJI_SMS_REGION,
                   codes if isinstance(codes, dict) else {}, settings.CHANGJI_SMS_TIMEOUT_S)


class SmsSender(Sender):
    """Aliyun SMS SendSms (``aliyun_sms``): one signed POST per notice, ``workers`` at a time."""

    channel = Channel.SMS

    def __init__(self, config: SmsSettings | None = None, *, workers: int = 8,
                 clock: Callable[[], Any] = timezone.now) -> None:
        self.config = config or SmsSettings.from_settings()
        self.workers = workers
        self.clock = clock
        self._local = threading.local()
        self._connections: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        parts = urlsplit(self.config.endpoint)
        self._https, self._host, self._path = parts.scheme == "https", parts.netloc, parts.path or "/"

    def configured(self) -> bool:
        return bool(self.config.credentials.access_key_id and self.config.credentials.access_key_secret)

    def send(self, notices: Sequence[Notification]) -> list[Result]:
        if len(notices) <= 1 or self.workers <= 1:
            return [self.send_one(notice) for notice in notices]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="sms")
        return list(self._pool.map(self.send_one, notices))

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            connection = kind(self._host, timeout=self.config.timeout_s)
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def _post(self, body: bytes) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": "application/json"}
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile is reopened once
            connection = self._connection()
            try:
                connection.request("POST", self._path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def send_one(self, notice: Notification) -> Result:
        code = self.config.template_codes.get(notice.event)
        if not code:
            return Result(Outcome.PERMANENT, error=f"事件 {notice.event} 未配置短信模板（CHANGJI_SMS_TEMPLATE_CODES）")
        params = aliyun_sms.send_sms_params(
            self.config.credentials, phone=notice.address, sign_name=self.config.sign_name, template_code=code,
            template_param=notice.sms_params, at=self.clock(), nonce=str(uuid.uuid4()), out_id=str(notice.pk),
            region_id=self.config.region_id)
        try:
            status, body = self._post(urlencode(params).encode("ascii"))
        except (OSError, http.client.HTTPException) as error:
            self._connection().close()  # the next request opens a fresh one
            return Result(Outcome.TRANSIENT, error=f"短信服务连接失败：{type(error).__name__} {error}"[:300])
        answer = aliyun_sms.classify(status, body)
        if answer.outcome != Outcome.SENT:
            log.warning("SMS %s to %s: %s %s", notice.pk, mask_address(notice.address), answer.code, answer.message)
            return Result(answer.outcome, error=f"{answer.code} {answer.message}".strip())
        return Result(Outcome.SENT, provider_id=answer.biz_id)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()


class EmailSender(Sender):
    """E-mail over SMTP with Django's SMTP backend (``EMAIL_HOST``, ``EMAIL_PORT``, …): one connection a batch."""

    channel = Channel.EMAIL

    def configured(self) -> bool:
        return bool(settings.CHANGJI_SMTP_HOST)

    def send(self, notices: Sequence[Notification]) -> list[Result]:
        connection = get_connection("django.core.mail.backends.smtp.EmailBackend", host=settings.EMAIL_HOST,
                                    port=settings.EMAIL_PORT, fail_silently=False)
        results = []
        try:
            connection.open()
        except OSError as error:
            return [Result(Outcome.TRANSIENT, error=f"邮件服务器连接失败：{error}"[:300]) for _ in notices]
        try:
            for notice in notices:
                results.append(self._send_one(connection, notice))
        finally:
            try:
                connection.close()
            except OSError:
                log.warning("SMTP connection did not close cleanly")
        return results

    def _send_one(self, connection: Any, notice: Notification) -> Result:
        message_id = make_msgid(domain="changji.local")
        text = notice.body + (f"\n\n{notice.link}" if notice.link else "")
        mail = EmailMessage(subject=notice.title, body=text, to=[notice.address], connection=connection,
                            headers={"Message-ID": message_id})
        try:
            mail.send()
        except Exception as error:  # smtplib's refusals (SMTPRecipientsRefused …) and socket errors
            permanent = type(error).__name__ in ("SMTPRecipientsRefused", "SMTPSenderRefused")
            log.warning("e-mail %s to %s: %s", notice.pk, mask_address(notice.address), type(error).__name__)
            return Result(Outcome.PERMANENT if permanent else Outcome.TRANSIENT, error=str(error)[:300])
        return Result(Outcome.SENT, provider_id=message_id.strip("<>")[:100])


def default_senders() -> dict[str, Sender]:
    """The senders of the configured external channels."""
    found: dict[str, Sender] = {}
    for sender in (SmsSender(), EmailSender()):
        if sender.configured():
            found[sender.channel] = sender
    return found
