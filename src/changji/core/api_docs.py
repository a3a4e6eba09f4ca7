"""``/api/docs``: Swagger UI served from the platform's own static files, never from a CDN.

The Swagger UI files come from the npm package ``swagger-ui-dist`` (pinned in package.json and
package-lock.json) and are copied into ``core/static/vendor/swagger-ui/`` by scripts/vendor_assets.py, like
Leaflet and ECharts. The page (``core/templates/core/api_docs.html``) loads them and ``core/static/core/api_docs.js``
with ``{% static %}``; the settings travel as a JSON script element, so the page runs under the platform's
Content-Security-Policy (``script-src 'self'``, no inline script). ``validatorUrl`` is off: Swagger UI would
otherwise send the document to an online validator.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase


class VendoredSwagger(DocsBase):
    """Swagger UI for a NinjaAPI from ``static/vendor/swagger-ui/`` (``NinjaAPI(docs=VendoredSwagger())``)."""

    template = "core/api_docs.html"

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        """The docs page of ``api``, reading its OpenAPI document from the API's own URL."""
        settings = {"url": self.get_openapi_url(api, kwargs), "layout": "BaseLayout", "deepLinking": True,
                    "validatorUrl": None, "docExpansion": "none", "defaultModelsExpandDepth": 0}
        return render(request, self.template, {"api": api, "swagger_settings": settings})
