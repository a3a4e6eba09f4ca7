"""The error answers (core.error_pages), with DEBUG off as in production.

400, 403, 404, 500 and the CSRF failure are Chinese pages in the platform's layout; the JSON interfaces get JSON
in their own shape; the 500 page needs no database.
"""

from __future__ import annotations

import pytest
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from changji.core import error_pages
from changji.core.models import Role

LAYOUT = ('<html lang="zh-hans">', "core/shell.css", '<header class="shell-header">', "昌吉州智慧治理平台")


def boom(request: HttpRequest):
    raise RuntimeError("a bug, not a message for the user")


urlpatterns = [path("boom/", csrf_exempt(boom)), path("", include("changji.urls"))]
handler500 = "changji.core.error_pages.server_error"


def in_layout(response, *words: str) -> str:
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    for word in (*LAYOUT, *words):
        assert word in body, word
    return body


def test_debug_is_off(settings):
    assert settings.DEBUG is False


@pytest.mark.django_db
def test_404_is_chinese_in_the_layout(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = in_layout(response, "页面不存在", "回到平台首页")
    assert "Not Found" not in body and "tried" not in body  # no URL patterns shown


@pytest.mark.django_db
def test_404_with_the_platforms_own_chinese_reason(client, make_user):
    client.force_login(make_user("op-404", "652323"))
    response = client.get("/water/wells/987654/")
    assert response.status_code == 404
    in_layout(response, "页面不存在", "op-404")  # the header knows who is signed in


@pytest.mark.django_db
def test_403_is_chinese_in_the_layout(client, make_user):
    client.force_login(make_user("op-403", "652323", role=Role.COUNTY_OPERATOR))
    response = client.get("/services/window/")
    assert response.status_code == 403
    in_layout(response, "无权访问", "当前账号无权窗口受理")


@pytest.mark.django_db
def test_400_names_the_parameter_in_chinese(client, make_user):
    client.force_login(make_user("op-400", "652328", role=Role.COUNTY_OPERATOR))
    response = client.get("/community/", {"year": "²"})
    assert response.status_code == 400
    in_layout(response, "请求有误", "参数「year」应为 2000–")


@pytest.mark.django_db
def test_json_interfaces_answer_json_in_their_own_shape(client, make_user):
    client.force_login(make_user("op-json", "652323", role=Role.COUNTY_OPERATOR))
    api = client.get("/api/water/nothing-here")
    assert api.status_code == 404 and api.json() == {"detail": "您访问的页面或对象不存在，或不在您的管辖范围内。"}
    data = client.get("/water/map/wells.json", {"q": "a\x00"})
    assert data.status_code == 400 and data.json() == {"detail": "参数「q」含有非法字符"}
    georeport = client.get("/open311/v2/requests.json", {"status": "\x00"})
    assert georeport.status_code == 400
    assert georeport.json() == [{"code": 400, "description": "参数「status」含有非法字符"}]


def test_500_is_chinese_in_the_layout_and_needs_no_database(settings):
    """No database mark: any query while answering would fail this test."""
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    body = in_layout(response, "服务器错误", "问题已记录")
    assert "a bug" not in body and "RuntimeError" not in body


@pytest.mark.django_db
def test_csrf_failure_is_chinese_in_the_layout():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/services/track/", {"receipt": "1", "code": "1"})
    assert response.status_code == 403
    in_layout(response, "提交未通过安全校验", "Cookie")


def test_500_page_reads_nothing_of_the_request():
    """The session and the user are what fails when the database is down: the 500 page must not touch them."""

    class Down:
        def __getattr__(self, name: str):
            raise RuntimeError("the database is down")

        def __bool__(self) -> bool:
            raise RuntimeError("the database is down")

    request = RequestFactory().get("/water/")
    request.user, request.session = Down(), Down()
    response = error_pages.server_error(request)
    assert response.status_code == 500 and "服务器错误" in response.content.decode()
