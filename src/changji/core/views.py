"""Views of the shared shell: the platform home page, the health probes and the metrics.

``/healthz`` answers while the process runs, without the database; ``/readyz`` runs the readiness checks
(``core.health``) and answers 503 when one fails; ``/metrics`` is the Prometheus text (``core.metrics``), for a
bearer of ``CHANGJI_METRICS_TOKEN`` or, without one, a loopback request that no proxy forwarded. None of them
needs a session or redirects, and none may answer 500: a database that is down makes ``/readyz`` 503.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from changji.core import health, metrics
from changji.core.guards import PUBLIC, route
from changji.core.models import Region, RegionLevel
from changji.core.regions import root_region
from changji.core.scope import scope_queryset


@route(get=PUBLIC)
def home(request: HttpRequest) -> HttpResponse:
    """Render the platform's front page: the three systems and the regions in the user's scope."""
    counties: QuerySet[Region] = Region.objects.within(root_region()).filter(level=RegionLevel.COUNTY)
    if request.user.is_authenticated:
        counties = scope_queryset(counties, request.user)
    return render(request, "core/home.html", {"counties": counties})


@route(get=PUBLIC)
def healthz(request: HttpRequest) -> JsonResponse:
    """Report that the web process runs (liveness); touches nothing shared, not even the database."""
    response = JsonResponse({"ok": True})
    response["Cache-Control"] = "no-store"
    return response


@route(get=PUBLIC)
def readyz(request: HttpRequest) -> JsonResponse:
    """Run the readiness checks: 200 with every check's entry when all pass, 503 when one fails."""
    ready, checks = health.run_checks()
    response = JsonResponse({"ok": ready, "checks": checks}, status=200 if ready else 503)
    response["Cache-Control"] = "no-store"
    return response


@route(get=PUBLIC)
def metrics_text(request: HttpRequest) -> HttpResponse:
    """Answer the Prometheus text to a reader ``core.metrics.may_read_metrics`` admits; 404 and nothing more else."""
    if not metrics.may_read_metrics(request):
        return HttpResponse(status=404, content_type="text/plain")
    response = HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response


class LoginView(auth_views.LoginView):
    """The platform's login page; failures are counted and locked out by django-axes (``core.sign_in``)."""

    redirect_authenticated_user = True
