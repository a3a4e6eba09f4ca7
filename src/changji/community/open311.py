"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), JSON only, mounted at ``/open311/v2/``.

So that existing civic-reporting clients can file resident issues (接诉即办):

* ``GET discovery.json`` — the endpoint description;
* ``GET services.json`` — the issue categories (``service_code`` = ``IssueCategory.code``);
* ``GET services/{service_code}.json`` — a service definition (no extra attributes);
* ``POST requests.json`` — file a request; needs ``api_key`` (an ``Open311Client``, kept as a SHA-256
  digest) and a location (``lat`` + ``long``): issues are routed to the grid holding the point, and
  a client may only report within its region. An ``address_string`` alone is refused;
* ``GET requests.json`` / ``GET requests/{service_request_id}.json`` — the status of requests, never the
  reporter's personal data (name, phone, e-mail). Without dates the window is the last 90 days; at most 1,000.
  Dates must fall in the years 1970–2100.

Who sees what on GET:

* without ``api_key`` — anyone: every request of the service area, public fields only
  (``PUBLIC_FIELDS``: ``service_request_id``, ``status``, ``service_name``, ``service_code``,
  ``agency_responsible``, ``requested_datetime``, ``updated_datetime``, ``expected_datetime``) and
  ``lat``/``long`` rounded to 3 decimals (about 100 m). ``description``, ``status_notes``, ``address``
  and ``media_url`` are omitted: they may name or locate the resident;
* with a valid ``api_key`` (an active ``Open311Client``) — full rows, but only of requests within the
  client's region (a request elsewhere is answered 404);
* with an invalid or inactive ``api_key`` — 403.

Errors follow the spec: a JSON array ``[{"code": <HTTP status>, "description": "..."}]`` with that
status (400 bad parameter, naming it; 403 bad ``api_key``; 404 unknown resource). Every refusal is
logged. ``.xml`` is answered 400: only JSON is offered. Datetimes are ISO 8601 in Asia/Shanghai (+08:00).
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import re_path
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from changji.community.issues import categories, changes, handlers, intake
from changji.community.issues.workflow import ISSUE_LABELS, LEVEL_LABELS, OPEN_ISSUE_STATES, EscalationLevel, IssueState
from changji.community.models import IssueCategory, IssueChannel, Open311Client, ResidentIssue
from changji.core import audit
from changji.core.errors import Refusal
from changji.core.guards import declare_public
from changji.core.localtime import SHANGHAI
from changji.core.models import Region
from changji.core.models.token import digest
from changji.core.params import ParamError, refuse_nul

log = logging.getLogger("changji.community.open311")

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
#: When this endpoint's behaviour last changed (the discovery document's ``changeset``).
CHANGESET = "2026-11-26T00:00:00+08:00"
DEFAULT_WINDOW = timedelta(days=90)
#: The years a ``start_date`` / ``end_date`` may fall in (year 1 or 9999 would overflow in the database).
DATE_YEARS = (1970, 2100)
#: The fields of a request shown to anyone (no ``api_key``); lat/long are added, rounded.
PUBLIC_FIELDS = ("service_request_id", "status", "service_name", "service_code", "agency_responsible",
                 "requested_datetime", "updated_datetime", "expected_datetime")
#: Decimals of lat/long shown without an ``api_key``: 0.001° is about 100 m.
PUBLIC_DECIMALS = 3
MAX_REQUESTS = 1000
#: Our states as Open311 sees them: "closed" once the handler has finished (or refused) it.
CLOSED_STATES = frozenset({IssueState.RESOLVED, IssueState.CLOSED, IssueState.REJECTED})


class Open311Error(Refusal):
    """A refused Open311 call (``core.errors``): the HTTP status and the description sent back.

    The description names the parameter at fault itself, in GeoReport v2's words ("lat/long: …"), so no
    ``field`` is set; ``endpoint`` answers it in the spec's shape with its own status (400, 403 or 404).
    """

    def __init__(self, status: int, description: str) -> None:
        super().__init__(None, description)
        self.status = status
        self.description = description


def create_client(name: str, region: Region) -> tuple[Open311Client, str]:
    """Register an Open311 client that may report within ``region``; return it and its ``api_key`` (shown once)."""
    key = secrets.token_urlsafe(32)
    client = Open311Client.objects.create(name=name.strip(), key_digest=digest(key), region=region)
    audit.record("community.open311.client", actor="open311_client", target=client, region=region, name=client.name)
    return client, key


def _json(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _error(request: HttpRequest, status: int, description: str) -> JsonResponse:
    log.warning("open311 refused %s %s: %d %s", request.method, request.path, status, description)
    return _json([{"code": status, "description": description}], status=status)


def endpoint(methods: tuple[str, ...]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Wrap a view: allowed methods, the ``format`` suffix (json only), and ``Open311Error`` as the spec's errors."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt  # an API keyed by api_key, not by a session
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, fmt: str = "json", **kwargs: Any) -> HttpResponse:
            if fmt != "json":
                return _error(request, 400, f"format: only json is offered, not {fmt[:10]}")
            if request.method not in methods and not (request.method == "HEAD" and "GET" in methods):
                response = _error(request, 405, f"method {request.method} not allowed")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                if request.method == "POST":  # the middleware leaves a CSRF-exempt view's multipart body alone
                    refuse_nul(request.POST)
                return view(request, *args, **kwargs)
            except Open311Error as error:
                return _error(request, error.status, error.description)
            except ParamError as error:
                return _error(request, 400, f"{error.name}: must not contain a NUL character")
            except (BadRequest, SuspiciousOperation, MultiPartParserError, UnicodeDecodeError) as error:
                return _error(request, 400, f"request body: unreadable ({type(error).__name__})")
            except (OverflowError, ValueError) as error:  # a date or number out of range: never a 500
                log.warning("open311 %s %s: %r", request.method, request.path, error)
                return _error(request, 400, f"parameters: a value is out of range ({type(error).__name__})")

        return declare_public(wrapped, methods)

    return decorator


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds") if value else None


def _service(category: IssueCategory) -> dict[str, Any]:
    return {"service_code": category.code, "service_name": category.name,
            "description": category.description or category.name, "metadata": False, "type": "realtime",
            "keywords": ",".join(filter(None, (category.name, category.group, categories.responsible_label(category)))),
            "group": category.group}


@endpoint(("GET",))
def discovery(request: HttpRequest) -> HttpResponse:
    """The GeoReport v2 discovery document of this endpoint."""
    return _json({"changeset": CHANGESET, "contact": "所在社区网格服务站",
                  "key_service": "api_key 由县级平台管理员签发（changji open311_client）",
                  "endpoints": [{"specification": SPEC_URL, "url": request.build_absolute_uri("/open311/v2/"),
                                 "changeset": CHANGESET, "type": "production", "formats": ["application/json"]}]})


@endpoint(("GET",))
def services(request: HttpRequest) -> HttpResponse:
    """The service list: every active issue category."""
    return _json([_service(c) for c in IssueCategory.objects.filter(active=True).order_by("code")])


@endpoint(("GET",))
def service_definition(request: HttpRequest, service_code: str) -> HttpResponse:
    """A service definition; our categories ask no extra attributes."""
    category = IssueCategory.objects.filter(code=service_code, active=True).first()
    if category is None:
        raise Open311Error(404, f"service_code {service_code[:32]} not found")
    return _json({"service_code": category.code, "attributes": []})


def _notice(issue: ResidentIssue) -> str:
    return (f"由{handlers.handler_name(issue)}（{LEVEL_LABELS[EscalationLevel(issue.level)]}）办理，"
            f"{issue.category.response_hours} 小时内响应，{issue.due_at.astimezone(SHANGHAI):%Y-%m-%d} 前办结")


def _status_notes(issue: ResidentIssue) -> str:
    state = IssueState(issue.state)
    note = f"{ISSUE_LABELS[state]}（{LEVEL_LABELS[EscalationLevel(issue.level)]}）"
    if state == IssueState.REJECTED and issue.duplicate_of_id and issue.duplicate_of is not None:
        note += f"：重复诉求，见 {issue.duplicate_of.request_id}"
    return note


def _request_row(issue: ResidentIssue, full: bool = False) -> dict[str, Any]:
    """One request, as much of it as the caller may see.

    For an api_key (``full``) every field but the reporter's name, phone and e-mail; for anyone else only
    ``PUBLIC_FIELDS`` and lat/long rounded to ``PUBLIC_DECIMALS``.
    """
    closed = issue.state in CLOSED_STATES
    row = {
        "service_request_id": issue.request_id, "status": "closed" if closed else "open",
        "status_notes": _status_notes(issue), "service_name": issue.category.name,
        "service_code": issue.category.code, "description": issue.description,
        "agency_responsible": f"{handlers.handler_name(issue)}（{categories.responsible_label(issue.category)}）",
        "service_notice": _notice(issue) if not closed else "",
        "requested_datetime": _iso(issue.reported_at), "updated_datetime": _iso(issue.updated_at),
        "expected_datetime": None if closed else _iso(issue.due_at),
        "address": issue.address, "address_id": None, "zipcode": None, "lat": issue.lat, "long": issue.lon,
        "media_url": issue.media_url or None,
    }
    if full:
        return row
    public = {name: row[name] for name in PUBLIC_FIELDS}
    for name, value in (("lat", issue.lat), ("long", issue.lon)):
        public[name] = None if value is None else round(value, PUBLIC_DECIMALS)
    return public


def _issues() -> Any:
    return ResidentIssue.objects.select_related("category", "region__parent__parent", "duplicate_of")


def _moment(request: HttpRequest, name: str) -> datetime | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        moment = parse_datetime(raw)
        if moment is None and (day := parse_date(raw)) is not None:
            moment = datetime(day.year, day.month, day.day)
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(400, f"{name}: not a w3 datetime (e.g. 2026-01-01T00:00:00+08:00)")
    if not DATE_YEARS[0] <= moment.year <= DATE_YEARS[1]:
        raise Open311Error(400, f"{name}: out of range, the year must lie between {DATE_YEARS[0]} and {DATE_YEARS[1]}")
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=SHANGHAI)


def _reader(request: HttpRequest) -> Open311Client | None:
    """The client of a GET: None without ``api_key`` (the public view); a wrong or inactive key is refused."""
    key = request.GET.get("api_key", "").strip()
    if not key:
        return None
    client = Open311Client.objects.select_related("region").filter(key_digest=digest(key), active=True).first()
    if client is None:
        raise Open311Error(403, "api_key: invalid")
    return client


def _visible(client: Open311Client | None) -> Any:
    """The requests a GET may show: all of them publicly, a client's full rows only within its region."""
    found = _issues()
    return found.filter(region__path__startswith=client.region.path) if client is not None else found


def _list_requests(request: HttpRequest) -> HttpResponse:
    client = _reader(request)
    full = client is not None
    ids = [i.strip() for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
    if ids:  # the spec: with service_request_id the other parameters are ignored
        if len(ids) > MAX_REQUESTS:
            raise Open311Error(400, f"service_request_id: at most {MAX_REQUESTS} ids")
        return _json([_request_row(i, full) for i in _visible(client).filter(request_id__in=ids)
                      .order_by("-reported_at")])
    start, end = _moment(request, "start_date"), _moment(request, "end_date")
    try:
        end = end or (start + DEFAULT_WINDOW if start else timezone.now())
        start = start or end - DEFAULT_WINDOW
    except OverflowError:
        raise Open311Error(400, "start_date/end_date: out of range") from None
    if start > end:
        raise Open311Error(400, "start_date: must not be after end_date")
    found = _visible(client).filter(reported_at__gte=start, reported_at__lte=end)
    codes = [c.strip() for c in request.GET.get("service_code", "").split(",") if c.strip()]
    if codes:
        unknown = set(codes) - set(IssueCategory.objects.filter(code__in=codes).values_list("code", flat=True))
        if unknown:
            raise Open311Error(400, f"service_code: unknown {', '.join(sorted(unknown))[:64]}")
        found = found.filter(category__code__in=codes)
    statuses = {s.strip() for s in request.GET.get("status", "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status: must be open or closed")
    if statuses == {"open"}:
        found = found.filter(state__in=OPEN_ISSUE_STATES)
    elif statuses == {"closed"}:
        found = found.filter(state__in=CLOSED_STATES)
    return _json([_request_row(i, full) for i in found.order_by("-reported_at")[:MAX_REQUESTS]])


def _client(request: HttpRequest) -> Open311Client:
    key = request.POST.get("api_key", "").strip()
    client = (Open311Client.objects.select_related("region").filter(key_digest=digest(key), active=True).first()
              if key else None)
    if client is None:
        raise Open311Error(403, "api_key: missing or invalid")
    return client


def _coordinate(request: HttpRequest, name: str, low: float, high: float) -> float:
    raw = request.POST.get(name, "").strip()
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, f"{name}: not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise Open311Error(400, f"{name}: must lie between {low:g} and {high:g}")
    return value


#: The personal and descriptive fields of a POST (GeoReport v2 "POST Service Request").
POST_FIELDS = ("description", "address_string", "first_name", "last_name", "email", "phone", "media_url")
#: Our field names in ``IssueError`` → the Open311 parameter named in the 400 answer.
OPEN311_FIELD = {"lon": "long", "lat": "lat", "address": "address_string", "reporter_name": "first_name/last_name",
                 "reporter_phone": "phone", "reporter_email": "email"}


def _create_request(request: HttpRequest) -> HttpResponse:
    client = _client(request)
    code = request.POST.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code: required")
    category = IssueCategory.objects.filter(code=code, active=True).first()
    if category is None:
        raise Open311Error(400, f"service_code: {code[:32]} is not a service of this endpoint")
    if not request.POST.get("lat", "").strip() or not request.POST.get("long", "").strip():
        what = "address_string and address_id are not enough: " if (
            request.POST.get("address_string") or request.POST.get("address_id")) else ""
        raise Open311Error(400, f"lat/long: {what}a location (lat and long) is required, requests are routed by grid")
    lat, lon = _coordinate(request, "lat", -90, 90), _coordinate(request, "long", -180, 180)
    grid = intake.locate_region(lon, lat)
    if grid is None:
        raise Open311Error(400, "lat/long: the location lies outside every grid of this service area")
    if not client.region.contains(grid):
        raise Open311Error(400, "lat/long: the location lies outside the area this api_key may report in")
    post = {key: request.POST.get(key, "") for key in POST_FIELDS}
    first, last = post["first_name"].strip(), post["last_name"].strip()
    # 张 + 三 → 张三 (family name first, no space); Western names keep "first last".
    name = last + first if not (first + last).isascii() else " ".join(filter(None, (first, last)))
    try:
        issue = intake.report(category, post["description"], lon=lon, lat=lat, region=grid,
                              address=post["address_string"], reporter_name=name, reporter_phone=post["phone"],
                              reporter_email=post["email"], media_url=post["media_url"],
                              channel=IssueChannel.OPEN311, now=timezone.now())
    except changes.IssueError as error:
        field = OPEN311_FIELD.get(error.field, error.field) if error.field is not None else None
        raise Open311Error(400, f"{field}: {error.message}") from error
    audit.record("community.issue.reported", actor=f"open311:{client.name}", target=issue, region=issue.region,
                 request_id=issue.request_id, channel=IssueChannel.OPEN311, client=client.pk)
    return _json([{"service_request_id": issue.request_id, "service_notice": _notice(issue), "account_id": None}],
                 status=201)


@endpoint(("GET", "POST"))
def requests(request: HttpRequest) -> HttpResponse:
    """GET: the requests (filters service_request_id, service_code, start_date, end_date, status); POST: file one."""
    if request.method == "POST":
        return _create_request(request)
    return _list_requests(request)


@endpoint(("GET",))
def request_detail(request: HttpRequest, service_request_id: str) -> HttpResponse:
    """One request, as a list of one (the spec's shape); public fields only without an ``api_key``."""
    client = _reader(request)
    issue = _visible(client).filter(request_id=service_request_id).first()
    if issue is None:
        raise Open311Error(404, f"service_request_id {service_request_id[:24]} not found")
    return _json([_request_row(issue, client is not None)])


@csrf_exempt
def _not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything else under /open311/v2/: the spec's 404."""
    return _error(request, 404, f"no such resource: {rest[:64]}")


FORMAT = r"\.(?P<fmt>[A-Za-z0-9]+)$"
not_found = declare_public(_not_found, ("GET", "POST", "PUT", "PATCH", "DELETE"))  # 404 whatever the method

urlpatterns = [
    re_path(r"^discovery" + FORMAT, discovery, name="open311_discovery"),
    re_path(r"^services" + FORMAT, services, name="open311_services"),
    re_path(r"^services/(?P<service_code>[^/]+?)" + FORMAT, service_definition, name="open311_service"),
    re_path(r"^requests" + FORMAT, requests, name="open311_requests"),
    re_path(r"^requests/(?P<service_request_id>[^/]+?)" + FORMAT, request_detail, name="open311_request"),
    re_path(r"^(?P<rest>.*)$", not_found, name="open311_not_found"),
]
