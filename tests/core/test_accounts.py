"""Accounts: logins locked out by django-axes on the normalised username, `changji createuser`, API tokens."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.core.management import CommandError, call_command

from changji.core import access
from changji.core.models import ApiToken, AuditEntry, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()
    yield
    cache.clear()


def login(client, username, password, address="127.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_login_locks_a_username_and_address_after_five_failures(client, make_user, settings):
    make_user("op", "652323")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, "op", "wrong")
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert login(client, "op", "wrong").status_code == 429  # the fifth failure starts the lockout
    assert AuditEntry.objects.filter(action="core.login.locked").count() == 1
    response = login(client, "op", "x-Secret-2026")  # the right password is refused while locked
    assert response.status_code == 429 and "登录已暂停" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert login(client, "op", "x-Secret-2026", address="10.0.0.9").status_code == 302  # another address may
    AccessAttempt.objects.all().delete()  # the cool-off passed (or an administrator lifted the lockout)
    client.logout()
    response = login(client, "op", "x-Secret-2026")
    assert response.status_code == 302 and client.session["_auth_user_id"]


@pytest.mark.parametrize("alias", ["ｏp", " op ", "op\u00a0", "ｏｐ", "\uff4f\uff50"])
def test_look_alike_usernames_share_one_budget(client, make_user, settings, alias):
    """A look-alike spelling of a username gets no fresh budget of failed sign-ins.

    Django signs in "ｏp" (full-width ｏ), " op " and "op" + no-break space as "op" (strip + NFKC), so their
    failures count against "op".
    """
    make_user("op", "652323")
    for n in range(settings.AXES_FAILURE_LIMIT):
        login(client, alias if n % 2 else "op", "wrong")
    assert login(client, "op", "x-Secret-2026").status_code == 429
    assert login(client, alias, "x-Secret-2026").status_code == 429


def test_different_accounts_do_not_share_a_budget(client, make_user, settings):
    """Case is kept, as Django authenticates: "OP" is another account, with its own count."""
    make_user("op", "652323")
    make_user("OP", "652323")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "OP", "wrong")
    assert login(client, "op", "x-Secret-2026").status_code == 302


def test_the_admin_has_no_login_form_of_its_own(client, make_user):
    """The admin sends visitors to the platform's one login page, so no second form escapes the lockout."""
    make_user("op", "652323", role="prefecture_admin")
    assert client.get("/admin/login/?next=/admin/")["Location"].startswith("/accounts/login/")
    response = client.post("/admin/login/", {"username": "op", "password": "x-Secret-2026"})
    assert response.status_code == 302 and "_auth_user_id" not in client.session


def test_a_successful_login_resets_the_count(client, make_user, settings):
    make_user("op", "652323")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "op", "wrong")
    assert login(client, "op", "x-Secret-2026").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
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
    assert (user.role, user.region_id) == ("prefecture_admin", "652300")
    assert access.allows(user, access.P.ADMIN_USE)  # the role opens the admin, not a staff flag
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


@pytest.mark.slow
def test_createuser_is_a_changji_command():
    binary = Path(sys.executable).with_name("changji")
    result = subprocess.run([str(binary), "createuser", "--help"], capture_output=True, text=True, check=True)
    assert "--region" in result.stdout


def test_lockout_username_normalises_credentials_and_form_data(rf):
    """Whether axes is handed the credentials or only the request, the count is kept under one spelling."""
    from changji.core.sign_in import lockout_username

    assert lockout_username(None, {"username": " ｏp\u00a0"}) == "op"
    assert lockout_username(rf.post("/accounts/login/", {"username": "ｏｐ"})) == "op"
    assert lockout_username(rf.post("/accounts/login/", {"username": "OP"})) == "OP"
    assert len(lockout_username(rf.post("/accounts/login/", {"username": "x" * 10_000}))) == 150
