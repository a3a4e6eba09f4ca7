"""Accounts: the throttled login, `changji createuser`, API tokens stored as digests."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from changji.core import throttle
from changji.core.models import ApiToken, AuditEntry, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()
    yield
    cache.clear()


def login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_locks_a_username_and_address_after_five_failures(client, make_user):
    make_user("op", "652323")
    for _ in range(throttle.MAX_FAILURES):
        response = login(client, "op", "wrong")
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="core.login.locked").count() == 1
    response = login(client, "op", "x-Secret-2026")  # the right password is refused while locked
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    cache.clear()  # the window passed
    response = login(client, "op", "x-Secret-2026")
    assert response.status_code == 302 and client.session["_auth_user_id"]


def test_a_successful_login_resets_the_count(client, make_user):
    make_user("op", "652323")
    for _ in range(throttle.MAX_FAILURES - 1):
        login(client, "op", "wrong")
    assert login(client, "op", "x-Secret-2026").status_code == 302
    client.logout()
    for _ in range(throttle.MAX_FAILURES - 1):
        login(client, "op", "wrong")
    assert login(client, "op", "x-Secret-2026").status_code == 302


def test_session_cookie_is_http_only_and_expires(client, make_user, settings):
    make_user("op", "652323")
    response = login(client, "op", "x-Secret-2026")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    # Production hashes with PBKDF2 (the suite itself uses a fast hasher: tests/conftest.py).
    from django.conf import global_settings

    import changji.settings as production

    hashers = getattr(production, "PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS)
    assert hashers[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"


def test_createuser_makes_an_administrator_and_a_token(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Gh7-long-enough-pass\n"))
    out = io.StringIO()
    call_command("createuser", "chief", "--password-stdin", "--token", "省厅共享", stdout=out)
    user = User.objects.get(username="chief")
    assert (user.role, user.region_id, user.is_staff) == ("prefecture_admin", "652300", True)
    assert user.check_password("Gh7-long-enough-pass")
    raw = out.getvalue().rsplit("：", 1)[1].strip()
    token = ApiToken.objects.get(user=user)
    assert token.key_digest != raw and ApiToken.authenticate(raw) == token
    assert AuditEntry.objects.filter(action="core.user.create").count() == 1


@pytest.mark.parametrize("args, stdin, message", [
    (["chief", "--region", "999999"], "Gh7-long-enough-pass\n", "未知区划代码"),
    (["chief"], "short\n", "This password is too short"),
])
def test_createuser_refuses_bad_input(monkeypatch, args, stdin, message):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with pytest.raises(CommandError, match=message):
        call_command("createuser", *args, "--password-stdin")
    assert not User.objects.filter(username="chief").exists()


def test_revoked_tokens_and_inactive_users_do_not_authenticate(make_user):
    user = make_user("machine", "652300")
    token, raw = ApiToken.issue(user, "t")
    assert ApiToken.authenticate(raw) == token
    assert ApiToken.authenticate(raw + "x") is None
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert ApiToken.authenticate(raw) is None
    User.objects.filter(pk=user.pk).update(is_active=True)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at="2026-01-01T00:00:00Z")
    assert ApiToken.authenticate(raw) is None


def test_the_api_refuses_anonymous_calls(client):
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/water/wells").status_code in (401, 404)


def test_createuser_is_a_changji_command():
    binary = Path(sys.executable).with_name("changji")
    result = subprocess.run([str(binary), "createuser", "--help"], capture_output=True, text=True, check=True)
    assert "--region" in result.stdout
