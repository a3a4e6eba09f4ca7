"""No secret in any log (core.log_redaction): the filter itself, and real requests whose every log line is grepped."""

from __future__ import annotations

import io
import logging
import re
import sys
import time
import urllib.error
import urllib.request

import pytest

from changji.core.log_redaction import REDACTED, RedactSecrets, redact, redact_record

# --- the redaction itself ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ('"GET /open311/v2/requests.json?api_key=K3y-x_Y&service_code=noise HTTP/1.1" 200 12',
     '"GET /open311/v2/requests.json?api_key=[REDACTED]&service_code=noise HTTP/1.1" 200 12'),
    ("Not Found: /open311/v2/api_key=abcDEF123", "Not Found: /open311/v2/api_key=[REDACTED]"),
    ("receipt=652302&code=1&query_code=654321&password=hunter22&csrfmiddlewaretoken=zz9&new_password1=pw2",
     "receipt=652302&code=1&query_code=[REDACTED]&password=[REDACTED]&csrfmiddlewaretoken=[REDACTED]"
     "&new_password1=[REDACTED]"),
    ('{"api_key": "abc123", "token": 12345, "name": "x", "nested": {"Password": "p\\"w"}}',
     '{"api_key": "[REDACTED]", "token": [REDACTED], "name": "x", "nested": {"Password": "[REDACTED]"}}'),
    ("{'password': 'pw1', 'user': 'a'}", "{'password': '[REDACTED]', 'user': 'a'}"),
    ("Authorization: Bearer eyJhbGciOi.xyz-abc", "Authorization: Bearer [REDACTED]"),
    ("authorization=Basic dXNlcjpwYXNz", "authorization=Basic [REDACTED]"),
    ("{'HTTP_AUTHORIZATION': 'Bearer abcdefgh'}", "{'HTTP_AUTHORIZATION': '[REDACTED]'}"),
    ("sent Bearer abcdefghij here", "sent Bearer [REDACTED] here"),
    ("X-Api-Key: KEY123 ok", "X-Api-Key: [REDACTED] ok"),
    ("Cookie: sessionid=abc123; csrftoken=def456", "Cookie: sessionid=[REDACTED]; csrftoken=[REDACTED]"),
    ("next=%2Fopen311%3Fapi_key%3DSECRETX", "next=%2Fopen311%3Fapi_key%3D[REDACTED]"),
    ("受理编号 652302202603020001，查询码 152009。", "受理编号 652302202603020001，查询码 [REDACTED]。"),
    ("新密码：Abc-12345", "新密码：[REDACTED]"),
    ("access_token: tok3 and API-KEY=k4", "access_token: [REDACTED] and API-KEY=[REDACTED]"),
])
def test_secrets_are_redacted_wherever_they_stand(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "open311 refused POST /open311/v2/requests.json: 403 api_key: missing or invalid",
    "service_code=noise region=652300 code=652323", "ApiToken 3 created", "Forbidden (CSRF token missing.): /x",
    "查询码连续错误", "services.track.locked 查询失败次数过多", "Authorization: Basic", "frame 68 1A 00 16",
])
def test_what_is_no_secret_is_left_alone(text):
    assert redact(text) == text


def test_long_text_costs_linear_time():
    """A 1 MB run of letters (or of secret words) must not make the patterns backtrack quadratically."""
    for text in ("a" * 1_000_000, "token" * 200_000, "api_key" * 150_000, '"token": ' * 100_000):
        started = time.perf_counter()
        redact(text)
        assert time.perf_counter() - started < 5


def _record(msg, *args, exc_info=None):
    return logging.LogRecord("t", logging.WARNING, __file__, 1, msg, args or None, exc_info)


def test_the_filter_redacts_message_args_and_traceback_and_lets_the_record_through():
    try:
        raise ValueError("bad header Authorization: Bearer tr4ceback-secret")
    except ValueError:
        exc_info = sys.exc_info()
    record = _record("open311 %s %s: api_key=%s", "GET", "/x", "s3cret-arg", exc_info=exc_info)
    assert RedactSecrets().filter(record) is True
    assert record.getMessage() == f"open311 GET /x: api_key={REDACTED}" and record.args is None
    text = logging.Formatter().format(record)
    assert "s3cret-arg" not in text and "tr4ceback-secret" not in text and "Bearer [REDACTED]" in text
    harmless = _record("%s frames", 3)
    assert redact_record(harmless).args == (3,) and harmless.msg == "%s frames"  # untouched when nothing is secret
    broken = _record("%s %s", "only one")
    assert redact_record(broken) is broken  # a broken format is left for logging to report


def test_every_record_is_redacted_when_it_is_made():
    """settings.LOGGING_CONFIG installs the factory: no handler, not even one added later, sees the secret."""
    assert getattr(logging.getLogRecordFactory(), "redacts_secrets", False)
    record = logging.getLogger("changji.test").makeRecord("changji.test", logging.INFO, __file__, 1,
                                                          "password=%s", ("fact0ry-pw",), None)
    assert record.getMessage() == f"password={REDACTED}"


def test_the_settings_put_the_filter_on_every_handler_and_route_django_through_them(settings):
    assert all("redact_secrets" in handler.get("filters", []) for handler in settings.LOGGING["handlers"].values())
    configured = [h for name in ("", "django", "django.server", "django.request")
                  for h in logging.getLogger(name).handlers if h.name in settings.LOGGING["handlers"]]
    assert {h.name for h in configured} == set(settings.LOGGING["handlers"])  # Django's default handlers are gone
    assert all(any(isinstance(f, RedactSecrets) for f in h.filters) for h in configured)
    assert logging.getLogger("django.server").propagate  # access lines reach the root handler
    assert not logging.getLogger("django.server").handlers


# --- real requests: every log line they cause is grepped for the secrets ------------------------------------------


@pytest.fixture
def log_text(caplog):
    """All log output: caplog at DEBUG on the root logger, plus the real configured handler writing to a StringIO."""
    caplog.set_level(logging.DEBUG)
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    buffer = io.StringIO()
    previous = handler.setStream(buffer)

    def text() -> str:
        records = "\n".join(f"{r.msg!r} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
        return "\n".join((caplog.text, buffer.getvalue(), records))

    yield text
    handler.setStream(previous)


def assert_absent(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert not re.search(rf"(?<![0-9A-Za-z]){re.escape(secret[:12])}", text), f"{secret!r} reached a log"


ANSWERS = {"business_name": "老王面馆", "address": "阜康市天池街 1 号", "legal_person": "王某",
           "registered_capital": 10, "food_category": "热食类", "outdoor_sign": False}
MATERIALS = {code: (f"{code}.pdf", f"%PDF {code}".encode()) for code in
             ("id", "lease", "articles", "layout", "food_safety")}


def test_open311_keys_query_codes_tokens_and_passwords_never_reach_a_log(client, community_world, make_user,
                                                                       log_text, settings, tmp_path,
                                                                       django_capture_on_commit_callbacks):
    from changji.community.issues import categories
    from changji.community.open311 import create_client
    from changji.core.models import ApiToken
    from changji.services import cases
    from changji.services.demo_catalogue import seed_demo_catalogue
    from changji.services.models import Bundle

    settings.MEDIA_ROOT = tmp_path
    categories.seed_categories()
    key = create_client("12345 市民热线", community_world.town)[1]
    wrong_key = "wR0ngKey-" + key[::-1][:20]
    # Open311: GET and POST with a good and a bad key; paths that carry a key (404, and a 404 with a description).
    assert client.get("/open311/v2/requests.json", {"api_key": key}).status_code == 200
    assert client.get("/open311/v2/requests.json", {"api_key": wrong_key}).status_code == 403
    report = {"api_key": key, "service_code": "property", "lat": "43.835", "long": "90.285",
              "description": "电梯停运三天"}
    assert client.post("/open311/v2/requests.json", report).status_code == 201
    assert client.post("/open311/v2/requests.json", {**report, "api_key": wrong_key}).status_code == 403
    assert client.get(f"/open311/v2/api_key={key}").status_code == 404
    assert client.get(f"/open311/v2/services/token={key}.json").status_code == 404
    assert client.get(f"/open311/v2/requests.html?api_key={key}").status_code == 400
    # Services: notices never state the 查询码 (services.notices); the progress page is asked with a right and a wrong
    # code.
    seed_demo_catalogue()
    with django_capture_on_commit_callbacks(execute=True):  # the notification leaves once the submit commits
        case = cases.submit(Bundle.objects.get(code="YJS-CY"), cases.Applicant("enterprise", "阜康市老王餐饮有限公司",
                            "91350100M000100Y43"), "online", ANSWERS, MATERIALS, by="applicant")
    wrong_code = f"{(int(case.query_code) + 1) % 10**6:06d}"
    track = {"receipt": case.receipt_number, "code": case.query_code}
    assert client.post("/services/track/", track).status_code == 302  # post/redirect/get
    assert client.post("/services/track/", {**track, "code": wrong_code}).status_code == 404
    assert client.get("/services/track/", {"query_code": case.query_code}).status_code == 200
    # The API with a good and a bad bearer token.
    user = make_user("api-user", "652323")
    _, raw = ApiToken.issue(user, "t")
    assert client.get("/api/water/wells", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    wrong = ("y" if raw.startswith("x") else "x") + raw[1:]  # differs from the token whatever it starts with
    assert client.get("/api/water/wells", headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
    # Signing in with a right and a wrong password.
    password = "Pw-unique-7f3a9c2e"
    user.set_password(password)
    user.save()
    assert client.post("/accounts/login/", {"username": "api-user", "password": "Wrong-pw-5d81b0aa"}).status_code == 200
    assert client.post("/accounts/login/", {"username": "api-user", "password": password}).status_code == 302
    text = log_text()
    assert f"Not Found: /open311/v2/api_key={REDACTED}" in text
    assert "Unauthorized: /api/water/wells" in text and "open311 refused GET" in text
    assert_absent(text, key, wrong_key, raw, wrong, password, "Wrong-pw-5d81b0aa")
    assert not re.search(rf"(?<!\d)({case.query_code}|{wrong_code})(?!\d)", text)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the seeded regions for the next tests
def test_runserver_access_lines_carry_no_key(live_server, log_text, monkeypatch):
    """The live server logs each request as runserver does (``django.server``): query strings included."""
    from django.core.servers.basehttp import WSGIRequestHandler
    from django.test.testcases import QuietWSGIRequestHandler

    monkeypatch.setattr(QuietWSGIRequestHandler, "log_message", WSGIRequestHandler.log_message)
    secrets = ("AcCe55-key-4e1f9a", "T0ken-value-77c2d1", "Pa55word-9b0e3f")
    paths = [f"/open311/v2/services.json?api_key={secrets[0]}&token={secrets[1]}",
             f"/no/such/page?password={secrets[2]}&x=1", f"/open311/v2/api_key={secrets[0]}"]
    for path in paths:
        try:
            urllib.request.urlopen(live_server.url + path, timeout=10).read()
        except urllib.error.HTTPError as error:
            assert error.code == 404
    expected = [f'"GET /open311/v2/services.json?api_key={REDACTED}&token={REDACTED} HTTP/1.1" 200',
                f'"GET /no/such/page?password={REDACTED}&x=1 HTTP/1.1" 404',
                f'"GET /open311/v2/api_key={REDACTED} HTTP/1.1" 404']
    deadline = time.monotonic() + 10  # the server thread logs a request just after it has answered it
    while not all(line in log_text() for line in expected) and time.monotonic() < deadline:
        time.sleep(0.05)
    text = log_text()
    assert all(line in text for line in expected), text
    assert_absent(text, *secrets)


@pytest.mark.parametrize(("text", "expected"), [
    ("SMS 7 to 13812345678: isv.MOBILE_NUMBER_ILLEGAL", "SMS 7 to 138****5678: isv.MOBILE_NUMBER_ILLEGAL"),
    ("phones +8613812345678, +86 19912345678 and 15012345678.", "phones +86138****5678, +86 199****5678 and "
     "150****5678."),
    ("受理编号 652302202603020001 终端 6523230001 时间 1733385600000", "受理编号 652302202603020001 终端 6523230001 "
     "时间 1733385600000"),
    ("座机 12345678901", "座机 12345678901"),
    ("frame 68a13812345678b0 手机13812345678", "frame 68a13812345678b0 手机138****5678"),
])
def test_mobile_numbers_are_masked(text, expected):
    assert redact(text) == expected
