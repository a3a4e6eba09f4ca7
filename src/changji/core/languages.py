"""The residents' languages: Chinese and Kazakh in the Arabic script; staff pages always in Chinese.

Mulei is a Kazakh autonomous county, and in Xinjiang Kazakh is written in the Arabic script, right to left.
Django's own ``LANG_INFO`` describes ``kk`` as Cyrillic Kazakh, left to right (``Қазақ``); ``register_kazakh``
(called from ``CoreConfig.ready``) overrides it, so ``get_language_info("kk")`` and ``{% get_language_info %}``
give the Arabic-script name and ``bidi``. ``settings.LANGUAGES_BIDI`` lists ``kk`` for
``get_language_bidi`` (``<html dir="rtl">``).

Which pages follow the resident's language is marked on the view: ``@resident_page`` (above ``@route``). The
middleware ``ResidentLanguageMiddleware`` (in place of Django's ``LocaleMiddleware``) resolves the path and,
for a resident page, activates the language of the ``LANGUAGE_CODE`` cookie (set by Django's ``set_language``
at ``/i18n/setlang/``) or else of the browser's ``Accept-Language`` among ``settings.LANGUAGES``; every other
page (the staff's, the admin, the API) is activated in ``zh-hans`` whatever the cookie says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_vary_headers

#: Marks a view (``setattr``; ``functools.wraps`` of an outer decorator carries it) as a resident page.
RESIDENT_PAGE_ATTRIBUTE = "resident_page"
#: The language of the staff pages, and of a resident page when neither cookie nor browser names another.
STAFF_LANGUAGE = "zh-hans"
#: Kazakh as written in Xinjiang: Arabic script, right to left (Django's entry is the Cyrillic one).
KAZAKH_ARABIC = {"bidi": True, "code": "kk", "name": "Kazakh (Arabic script)", "name_local": "قازاقشا"}

ViewT = TypeVar("ViewT", bound=Callable[..., Any])


def register_kazakh() -> None:
    """Describe ``kk`` as Arabic-script Kazakh in Django's language table (idempotent)."""
    LANG_INFO["kk"] = dict(KAZAKH_ARABIC)


def resident_page(view: ViewT) -> ViewT:
    """Mark a view as a resident page: shown in the resident's language (Chinese or Kazakh)."""
    setattr(view, RESIDENT_PAGE_ATTRIBUTE, True)
    return view


def is_resident_page(request: HttpRequest) -> bool:
    """Whether the request's path resolves to a view marked with ``resident_page``."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return bool(getattr(match.func, RESIDENT_PAGE_ATTRIBUTE, False))


class ResidentLanguageMiddleware:
    """Activate the resident's language on resident pages and Chinese everywhere else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Activate the language for this request, answer, and say what the answer varies by."""
        resident = is_resident_page(request)
        language = translation.get_language_from_request(request) if resident else STAFF_LANGUAGE
        if language not in dict(settings.LANGUAGES):
            language = STAFF_LANGUAGE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # as Django's LocaleMiddleware sets it
        response = self.get_response(request)
        if resident:
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        return response
