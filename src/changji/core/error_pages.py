"""The platform's error answers: Chinese 400, 403, 404 and 500 pages in its layout, and the CSRF failure page.

Mounted as ``handler400``–``handler500`` in ``changji.urls`` and as ``CSRF_FAILURE_VIEW``. A request for
JSON gets JSON instead of a page: GeoReport v2's ``[{"code", "description"}]`` under ``/open311/``, and
django-ninja's ``{"detail": …}`` under ``/api/`` and for the pages' own ``….json`` data.

A refusal (``core.errors.Refusal``: a ``ParamError`` naming the parameter, a domain's refusal naming the
field) carries a message written for the user, so the 400 page shows it; ``refused`` is where every
refusal a view raises is answered (``core.middleware.RefusalMiddleware``). Other exceptions' texts stay
off the pages. The 500 page is rendered without a
request context (no context processor, no database): it must show while the database is down.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from changji.core.errors import Refusal

#: What each status says when the exception carries nothing for the user.
DEFAULT_MESSAGES = {
    400: "请求无法处理：参数或提交的内容有误。",
    403: "您没有权限访问该页面或执行该操作。",
    404: "您访问的页面或对象不存在，或不在您的管辖范围内。",
    500: "服务器内部错误，请稍后再试；问题已记录。",
}
#: Django's CSRF failure reasons (``django.middleware.csrf``), told in Chinese.
CSRF_REASONS = {
    "CSRF cookie not set.": "浏览器未保存安全令牌（Cookie）：请启用 Cookie 后刷新页面重新提交。",
    "Referer checking failed - no Referer.": "请求缺少来源信息（Referer）：请勿禁用浏览器的来源信息后重试。",
}
CSRF_DEFAULT = "页面已过期或安全令牌无效：请刷新页面后重新提交。"


def _json_shape(request: HttpRequest, status: int, message: str) -> HttpResponse | None:
    """The error as JSON when the request went to a JSON interface, else None."""
    if request.path.startswith("/open311/"):
        return JsonResponse([{"code": status, "description": message}], status=status, safe=False,
                            json_dumps_params={"ensure_ascii": False})
    if request.path.startswith("/api/") or request.path.endswith(".json"):
        return JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})
    return None


def _page(request: HttpRequest, status: int, template: str, message: str, **context: Any) -> HttpResponse:
    shaped = _json_shape(request, status, message)
    if shaped is not None:
        return shaped
    body = loader.get_template(template).render({"message": message, "status": status, **context}, request)
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def _said(exception: Exception | None) -> str | None:
    """The user-facing text of an exception, or None.

    That is a refusal's message (``core.errors.Refusal``), or a Chinese text given to PermissionDenied or Http404
    by the platform's own code (Django's English texts stay off the page).
    """
    if isinstance(exception, Refusal):
        return exception.message
    args: tuple[object, ...] = getattr(exception, "args", ())
    text = args[0].strip() if len(args) == 1 and isinstance(args[0], str) else ""
    return text if text and not text.isascii() and len(text) <= 200 else None


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _page(request, 400, "400.html", _said(exception) or DEFAULT_MESSAGES[400])


#: The page of each status a refusal may carry (``Refusal.status``); anything else is shown as a 400.
REFUSAL_TEMPLATES = {400: "400.html", 403: "403.html", 404: "404.html"}


@requires_csrf_token
def refused(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """The answer to a refusal a view raised: its status (400) and its message, as a page in the layout or as JSON."""
    status = refusal.status if refusal.status in REFUSAL_TEMPLATES else 400
    return _page(request, status, REFUSAL_TEMPLATES[status], refusal.message or DEFAULT_MESSAGES[status])


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _page(request, 403, "403.html", _said(exception) or DEFAULT_MESSAGES[403])


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _page(request, 404, "404.html", _said(exception) or DEFAULT_MESSAGES[404])


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: a static template, no context processors (the database may be what failed)."""
    shaped = _json_shape(request, 500, DEFAULT_MESSAGES[500])
    if shaped is not None:
        return shaped
    return HttpResponse(loader.get_template("500.html").render(), status=500, content_type="text/html; charset=utf-8")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: the form was posted without a valid token (expired page, cookies off)."""
    return _page(request, 403, "403_csrf.html", CSRF_REASONS.get(reason, CSRF_DEFAULT))
