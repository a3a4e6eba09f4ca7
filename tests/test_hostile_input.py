"""No route answers 5xx to hostile input: every route of the URL conf, as anonymous, a county user and a superuser.

Routes come from ``get_resolver()``; for each, the walk first asks with plausible values and records
which parameters the view reads (``urlwalk.reads``; the API's from its OpenAPI document), then sends
each hostile value in each of them alone, in all of them at once and repeated, puts hostile ids and
strings in the path, and posts every form the pages offer as shown, with each field made hostile in
turn and with all of them hostile at once (every request is rolled back, so every form is walked from
the same state). A new route, parameter or form is walked without editing this file.

Bad input must be 4xx (or a page that ignores it): every 5xx is collected with its route, parameters and
exception, and the test fails listing them all. To stay within a minute by default, each parameter gets
one value of each class (``DEFAULT``), the county user's forms and the admin's are posted as shown and
all-hostile only; ``HOSTILE_WALK=full`` walks every value of ``HOSTILE`` everywhere (minutes).
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import resolve
from django.utils import timezone

from tests.urlwalk import Route, api_parameters, build_world, page_forms, reads, routes, urls_of

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

HOSTILE = (
    "²", "٣", "１２", "-1", "0", "99999999999999999999", "1" + "0" * 30, "9999-12-31", "0001-01-01", "2026-02-30",
    "1e309", "nan", "inf", "\x00", "%00", "x" * 10_000, "' OR 1=1 --", "<script>alert(1)</script>", "",
    "9999-12-31T23:59:59", "0001-01-01T00:00:00+14:00",
)
#: The values tried in each parameter by default, one of each class (all of HOSTILE with HOSTILE_WALK=full):
#: a digit int() refuses, 30 digits, the last and first day ISO accepts, NUL, long text.
DEFAULT = ("²", "1" + "0" * 30, "9999-12-31", "0001-01-01", "\x00", "x" * 10_000)
#: The admin (Django's own pages, many fields) is walked with TOGETHER only, field by field with HOSTILE_WALK=full.
ADMIN: tuple[str, ...] = ()
ADMIN_TOGETHER = ("1" + "0" * 30, "0001-01-01")  # NUL is refused before any view: the other pages show it
#: A formset's management fields: Django caps a huge count at 2,000 forms, which take seconds to build, so "every
#: field at once" leaves them as shown (field by field, with HOSTILE_WALK=full, they are walked too).
FORMSET_COUNTS = ("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS")
#: Submit buttons of the admin that save the same form again.
ADMIN_AGAIN = ("_continue", "_addanother", "_saveasnew")
#: The values sent in every parameter at once.
TOGETHER = ("²", "1" + "0" * 30, "9999-12-31", "\x00")
#: Hostile path values by converter: past the 64-bit range, zero, NUL, long and odd strings.
PATH_HOSTILE = {
    "int": ("0", str(2**63), "1" + "0" * 30),
    "uuid": ("00000000-0000-0000-0000-000000000000",),
    "str": ("%00", "x" * 3000, "%27%20OR%201%3D1%20--", "%C2%B2", "%3Cscript%3E"),
}
ADMIN_PATH = {"int": ("1" + "0" * 30,), "uuid": PATH_HOSTILE["uuid"], "str": ("1" + "0" * 30, "%C2%B2")}
#: Parameter names asked of every route even when its view did not read them (the issue's list, and the API's).
NAMES = (
    "year", "at", "day", "date", "first", "last", "start", "end", "start_date", "end_date", "page", "county", "region",
    "state", "kind", "severity", "period", "format", "range", "q", "lat", "long", "lon", "id", "grid", "community",
    "category", "level", "status", "light", "colour", "service_code", "service_request_id", "jurisdiction_id",
    "limit", "offset", "use", "terminal_id", "view", "tag", "building", "department", "receipt", "code", "digest",
    "starts_on", "ends_on", "action", "next", "confirm", "api_key",
)


def plausible(world: dict[str, list[str]]) -> dict[str, str]:
    """A value for each known parameter that a user could send (the walk's baseline)."""
    today = timezone.localdate()
    return {
        "year": str(today.year), "at": today.isoformat(), "day": today.isoformat(), "date": today.isoformat(),
        "first": f"{today.year}-01-01", "last": today.isoformat(), "start": f"{today.year}-01-01T00:00:00+08:00",
        "end": f"{today.isoformat()}T23:00:00+08:00", "start_date": f"{today.year}-01-01",
        "end_date": today.isoformat(), "page": "1", "county": "652328", "region": "652328", "period": "month",
        "range": "day", "q": "王", "lat": "43.835", "long": "90.285", "lon": "90.285", "status": "open",
        "starts_on": f"{today.year}-01-01", "ends_on": today.isoformat(), "limit": "10", "offset": "0",
        "view": "all", "format": "xlsx", "api_key": world["api_key"][0],
    }


@dataclass
class Walk:
    """One user's walk: the client, its failures and how many requests it made."""

    client: Any
    user: Any
    label: str
    failures: list[str] = field(default_factory=list)
    requests: int = 0

    def send(self, method: str, url: str, data: Any = None, what: str = "") -> Any:
        """One request, rolled back afterwards; a 5xx is recorded with its exception."""
        cache.clear()  # throttles count in the cache: every request starts unthrottled
        self.requests += 1
        with transaction.atomic():
            response = getattr(self.client, method)(url, data if data is not None else {})
            transaction.set_rollback(True)
        if response.status_code >= 500 and not (url.startswith("/readyz") and response.status_code == 503):
            error = response.exc_info[1] if getattr(response, "exc_info", None) else None
            self.failures.append(f"{self.label} {method.upper()} {url[:100]} {what[:120]!r} → "
                                 f"{response.status_code} {type(error).__name__ if error else ''}: {str(error)[:160]}")
        if self.user is not None and settings.SESSION_COOKIE_NAME in response.cookies:
            self.client.force_login(self.user)  # a logout or login answer replaced the session
        return response


def short(value: str) -> str:
    return value if len(value) <= 12 else f"{value[:6]}…({len(value)})"


def reached(response: Any) -> bool:
    """Whether the view itself answered (not the login redirect, a refusal of the role or of the method)."""
    if response.status_code in (403, 405):
        return False
    return not (response.status_code == 302 and response["Location"].startswith(settings.LOGIN_URL))


def probe(walk: Walk, url: str, baseline: dict[str, str]) -> tuple[Any, list[str]]:
    """GET ``url`` with nothing, then with plausible values for what the view asked, until it asks nothing new.

    Returns the last answer and the parameters the view reads. Asking with nothing first keeps names a view
    only meets by iterating the query out of the list; asking again reaches reads behind a condition.
    """
    read: set[str] = api_parameters(url)
    sent: dict[str, str] = {name: baseline[name] for name in read if name in baseline}
    for _ in range(3):
        with reads() as seen:
            response = walk.send("get", url, sent, "plausible")
        if seen <= read:
            break
        read |= seen - {"csrfmiddlewaretoken"}
        sent = {name: baseline[name] for name in read if name in baseline}
    return response, sorted(read)


def walk_get(walk: Walk, url: str, baseline: dict[str, str], values: tuple[str, ...],
             together: tuple[str, ...] = TOGETHER) -> Any:
    """GET ``url``: each hostile value alone in each parameter the view reads, then in all of them at once, twice.

    Returns the answer to plausible values (its forms are walked next).
    """
    response, read = probe(walk, url, baseline)
    if not reached(response):
        return response
    kept = {name: baseline[name] for name in read if name in baseline}
    for name in read:
        for value in values:
            walk.send("get", url, {**kept, name: value}, f"{name}={short(value)}")
    for value in together:
        walk.send("get", url, dict.fromkeys({*NAMES, *read}, value), f"every parameter={short(value)}")
    walk.send("get", url, {name: [baseline.get(name, "1"), "²"] for name in (*read, "page", "year")}, "repeated")
    return response


def walk_post(walk: Walk, url: str, bodies: list[dict[str, str]], values: tuple[str, ...],
              together: tuple[str, ...] = TOGETHER) -> None:
    """POST each body as shown, then with each field hostile in turn, then with all of them hostile at once.

    Each field in turn includes each field the view reads; all at once means every field but ``action``. A URL
    without a form gets every known parameter name instead.
    """
    for body in bodies:
        with reads() as seen:
            response = walk.send("post", url, body, "as shown")
        if not reached(response) and not body:
            continue
        for name in sorted((set(body) | seen) - {"csrfmiddlewaretoken"}):
            for value in values:
                walk.send("post", url, {**body, name: value}, f"{name}={short(value)}")
        for value in together if body else ():
            kept = {k: v for k, v in body.items() if k == "action" or k.endswith(FORMSET_COUNTS)}
            hostile = {**dict.fromkeys(body, value), **kept}
            walk.send("post", url, hostile, f"every field={short(value)}")
    for value in together if bodies == [{}] else ():
        walk.send("post", url, dict.fromkeys(NAMES, value), f"every parameter={short(value)}")


def walk_path(walk: Walk, route: Route, benign: dict[str, str], hostile: dict[str, tuple[str, ...]]) -> None:
    """Each path parameter made hostile in turn, by GET and by POST."""
    for name, kind in route.params:
        for value in hostile.get(kind, hostile["str"]):
            url = route.url({**benign, name: value})
            walk.send("get", url, what=f"path {name}={short(value)}")
            walk.send("post", url, what=f"path {name}={short(value)}")


def run_walk(walk: Walk, world: tuple[dict[str, list[str]], dict[str, str]], *, admin: bool,
             field_by_field: bool = True) -> None:
    """GET every route (parameters, then path), collecting the forms each page offers; then POST them all.

    Without ``field_by_field`` the forms are posted as shown and with every field hostile at once only.
    """
    world, hints = world
    baseline = plausible(world)
    full = os.environ.get("HOSTILE_WALK") == "full"
    values = HOSTILE if full else ADMIN if admin else DEFAULT
    together = ADMIN_TOGETHER if admin and not full else TOGETHER
    path_values = PATH_HOSTILE if full or not admin else ADMIN_PATH
    chosen = [route for route in routes() if route.admin == admin]
    assert len(chosen) >= (100 if admin else 80)
    bodies: dict[str, list[dict[str, str]]] = defaultdict(list)
    shapes: set[tuple[str, ...]] = set()
    post_only: list[str] = []
    for route in chosen:
        urls = urls_of(route, world)
        for n, (url, _) in enumerate(urls):
            response = (walk_get(walk, url, baseline, values, together) if n == 0
                        else walk.send("get", url, what="forms"))
            if response.status_code == 405:
                post_only.append(url)
            for form in page_forms(response, url, hints):
                for body in form.submissions():
                    if admin and not full and any(button in body for button in ADMIN_AGAIN):
                        continue
                    shape = (resolve(form.action).view_name, body.get("action", ""), *sorted(body))
                    if full or shape not in shapes:  # the same form on another object of the same kind: once
                        shapes.add(shape)
                        bodies[form.action].append(body)
        walk_path(walk, route, urls[0][1], path_values)
    for url in {*bodies, *post_only}:
        walk_post(walk, url, bodies.get(url) or [{}], values if field_by_field or full else (), together)


@pytest.fixture
def world(community_world, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(community_world, make_user)  # (path values, form hints)


def users(make_user) -> dict[str, Any]:
    from changji.core.models import Role, User

    return {"anonymous": None, "county": make_user("walk-county", "652328", role=Role.COUNTY_OPERATOR),
            "superuser": User.objects.get(username="walk-root")}


@pytest.fixture(autouse=True)
def quiet(caplog):
    """Thousands of 4xx answers are logged as warnings; keep the errors (5xx) only."""
    for name in ("django.request", "django.security", "changji.community.open311"):
        caplog.set_level(logging.ERROR, logger=name)


@pytest.mark.parametrize("who", ["anonymous", "county", "superuser"])
def test_no_page_answers_hostile_input_with_a_server_error(client, world, make_user, who):
    """Every page and form, anonymous, as a county user and as a superuser.

    The superuser gets every form: only their forms are posted field by field by default, the county user's as
    shown and all fields hostile at once.
    """
    client.raise_request_exception = False
    user = users(make_user)[who]
    if user is not None:
        client.force_login(user)
    walk = Walk(client, user, who)
    started = time.monotonic()
    run_walk(walk, world, admin=False, field_by_field=who != "county")
    print(f"{who}: {walk.requests} requests in {time.monotonic() - started:.1f} s, {len(walk.failures)} 5xx")
    assert not walk.failures, f"{len(walk.failures)} of {walk.requests} requests answered 5xx:\n" + "\n".join(
        walk.failures)


def test_no_admin_page_answers_hostile_input_with_a_server_error(client, world, make_user):
    """The admin, as a superuser: its pages and forms with every parameter and field hostile at once."""
    client.raise_request_exception = False
    user = users(make_user)["superuser"]
    client.force_login(user)
    walk = Walk(client, user, "superuser")
    run_walk(walk, world, admin=True)
    assert not walk.failures, f"{len(walk.failures)} of {walk.requests} requests answered 5xx:\n" + "\n".join(
        walk.failures)
