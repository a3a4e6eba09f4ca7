"""Region scope on every services route, generated from the URL conf (as tests/water/test_url_scope.py does).

A window clerk and a department reviewer of 昌吉市 (652301) ask every non-public services route for a
case of 阜康市 (652302): 403 or 404 everywhere, nothing changed; lists never show its receipt number.
A new route with a path parameter this test does not know fails it.
"""

from __future__ import annotations

import pytest

from changji.core.models import AuditEntry
from changji.services import cases
from changji.services.cases import Applicant
from changji.services.models import CaseEvent, Department, SubCase
from tests.services.test_cases import ANSWERS, MATERIALS, MONDAY, USCC
from tests.urlwalk import seed_hall
from tests.water.test_url_scope import fill, routes

pytestmark = pytest.mark.django_db

#: Routes for the public (no account): the catalogue, applying, tracking by code, verifying a certificate.
PUBLIC = {"services:catalogue", "services:apply", "services:track", "services:verify", "services:queue_take",
          "services:queue_ticket", "services:queue_display", "services:queue_display_json",
          "services:material_template", "services:material_example"}


@pytest.fixture
def foreign_case(restaurant, clerk, reviewers):
    case = cases.submit(restaurant, Applicant("enterprise", "某公司", USCC), "window", ANSWERS, MATERIALS, by=clerk,
                        now=MONDAY)
    cases.accept(case, clerk, now=MONDAY)
    return case


def test_services_routes_refuse_another_regions_case(client, make_user, foreign_case):
    sub = SubCase.objects.filter(case=foreign_case).first()
    ids = {"case_id": foreign_case.pk, "sub_case_id": sub.pk, "material_id": foreign_case.materials.first().pk,
           "bundle_id": foreign_case.bundle_id, "department_code": sub.department.code, "item_code": sub.item.code,
           "material_code": "id", **{name: values[0] for name, values in seed_hall("652302").items()}}
    outsiders = [make_user("changji-clerk", "652301", role="window_clerk"),
                 make_user("changji-reviewer", "652301", role="department_reviewer")]
    Department.objects.create(code="652301-SCJG", name="市场监督管理局", region_id="652301").reviewers.add(outsiders[1])
    checked = 0
    for route, name in routes(prefixes=("services/",)):
        if f"services:{name}" in PUBLIC:
            continue
        for user in outsiders:
            client.force_login(user)
            before = (AuditEntry.objects.count(), CaseEvent.objects.count())
            if "<" in route:
                url = fill(route, ids)
                response = client.get(url)
                if response.status_code == 405:
                    response = client.post(url, {"action": "claim", "opinion": "x", "reason": "x"})
                assert response.status_code in (403, 404), f"{name}: {url} answered {response.status_code} to {user}"
            else:
                response = client.get("/" + route)
                assert response.status_code < 500
                if response.status_code == 200:
                    assert foreign_case.receipt_number.encode() not in response.content, f"{name} shows the case"
            assert (AuditEntry.objects.count(), CaseEvent.objects.count()) == before
            checked += 1
    assert checked >= 10
