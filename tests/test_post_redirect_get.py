"""Post/redirect/get on every form: a POST that changes anything answers 3xx, and the page it leads to changes nothing.

Routes and forms come from the URL conf and the pages' HTML (tests/urlwalk.py): every form a page offers
is submitted as shown, its inputs filled as a user would, by a superuser, a county user and anonymously; a
form in the answer to a POST that changed nothing (a confirmation step, duplicate suggestions) is submitted
too. Whether a POST changed the database is read from the SQL it ran (INSERT, UPDATE or DELETE outside the
session table). A POST that changed something must answer with a redirect, so that reloading the page
cannot file a second case or issue; following the redirect, as the browser does, must change nothing. A POST
that changed nothing (a refusal, a lookup, a confirmation step) may answer 200 or 4xx. Each submission is
rolled back, so every form starts from the same state.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.urlwalk import build_world, page_forms, routes, urls_of

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

WRITES = ("INSERT", "UPDATE", "DELETE")
#: A 1×1 PNG, for the forms that want a photo or a scanned material.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


def photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("walk.png", PNG, content_type="image/png")


#: Tables a request writes as bookkeeping, not as the user's data: the session, and django-axes' count of failed
#: logins (a refused login answers 200 with the form again, and must not be mistaken for a filed one).
BOOKKEEPING = ("django_session", "axes_accessattempt", "axes_accessfailurelog", "axes_accesslog")


def writes(queries: list[dict[str, str]]) -> list[str]:
    """The statements among ``queries`` that change stored data (bookkeeping tables aside)."""
    return [q["sql"][:120] for q in queries
            if q["sql"].lstrip().upper().startswith(WRITES) and not any(t in q["sql"] for t in BOOKKEEPING)]


class Submitter:
    """Submits forms as one user, inside a rolled-back transaction each, and records what each did."""

    def __init__(self, client: Any, user: Any, label: str) -> None:
        self.client, self.user, self.label = client, user, label
        self.problems: list[str] = []
        self.redirected: list[str] = []

    def submit(self, action: str, body: dict[str, str], depth: int = 0) -> None:
        cache.clear()
        with transaction.atomic():
            with CaptureQueriesContext(connection) as posted:
                response = self.client.post(action, body)
            changed = writes(posted.captured_queries)
            where = f"{self.label} POST {action} {sorted(body)[:6]}"
            if changed and not 300 <= response.status_code < 400:
                self.problems.append(f"{where} changed data ({changed[0]}) but answered {response.status_code}")
            elif changed:
                self.redirected.append(action)
                with CaptureQueriesContext(connection) as reloaded:
                    target = self.client.get(response["Location"])
                if writes(reloaded.captured_queries):
                    self.problems.append(f"{where} → GET {response['Location']} changed data on reload: "
                                         f"{writes(reloaded.captured_queries)[0]}")
                elif target.status_code >= 400:
                    self.problems.append(f"{where} → GET {response['Location']} answered {target.status_code}")
            elif response.status_code == 200 and depth == 0:  # a confirmation step: submit what it offers
                for form in page_forms(response, action):
                    for follow_up in form.submissions():
                        self.submit(form.action, follow_up, depth + 1)
            transaction.set_rollback(True)
        if self.user is not None:  # after a logout, and after a login inside the rolled-back transaction
            self.client.force_login(self.user)


@pytest.fixture
def world(community_world, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(community_world, make_user)


def test_every_successful_post_redirects_and_its_target_changes_nothing(client, world, make_user):
    from changji.core.models import Role, User

    world, hints = world
    client.raise_request_exception = False
    people = {"superuser": User.objects.get(username="walk-root"), "anonymous": None,
              "county": make_user("prg-county", "652328", role=Role.COUNTY_OPERATOR)}
    submitted, redirected, problems = 0, set(), []
    for label, user in people.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        submitter = Submitter(client, user, label)
        seen: dict[str, list[dict[str, str]]] = {}
        for route in routes():
            if route.admin:
                continue
            for url, _ in urls_of(route, world):
                for form in page_forms(client.get(url), url, hints):
                    for body in form.submissions():
                        if body in seen.setdefault(form.action, []):
                            continue
                        seen[form.action].append(body)
                        submitter.submit(form.action, {**body, **{name: photo() for name in form.files}})
                        submitted += 1
        problems += submitter.problems
        redirected |= {f"{label} {action}" for action in submitter.redirected}
    print(f"{submitted} forms submitted; changed data and redirected: {', '.join(sorted(redirected))}")
    assert not problems, "\n".join(problems)
    assert submitted >= 80 and len(redirected) >= 40, sorted(redirected)  # the walk reaches the forms
