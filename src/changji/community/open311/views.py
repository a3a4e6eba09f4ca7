"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at ``/open311/v2/``, in XML and in JSON.

So that existing civic-reporting clients can file resident issues (接诉即办). Every resource answers in the
format its suffix names, case-insensitively (``.xml``, ``.json``, ``.XML``); XML is the spec's required format,
JSON its mapping (``formats``); any other suffix is answered 400 in JSON.

* ``GET discovery.{fmt}`` — the endpoint description;
* ``GET services.{fmt}`` — the issue categories (``service_code`` = ``IssueCategory.code``);
* ``GET services/{service_code}.{fmt}`` — a service definition (no extra attributes);
* ``POST requests.{fmt}`` — file a request; needs ``api_key`` (an ``Open311Client``, kept as a SHA-256 digest),
  a ``service_code`` and a location: ``lat`` + ``long`` (the grid holding the point), or ``address_string``
  alone, or ``address_id`` alone (``B<building id>`` / ``C<compound id>``), both resolved through the compound
  and building register (``open311.addresses``; 400 saying why when they cannot be). The client may only report
  within its region. ``description`` is optional. The answer carries both the ``service_request_id`` and a
  ``token`` (random, 32 hex characters, kept in ``ResidentIssue.open311_token``) — the spec returns one or the
  other; both lets a client written for ``batch`` services and one written for ``realtime`` ones work alike;
* ``GET tokens/{token}.{fmt}`` — ``[{service_request_id, token}]`` for a token a POST returned (404 unknown);
* ``GET requests.{fmt}`` / ``GET requests/{service_request_id}.{fmt}`` — the status of requests. Without dates
  the window is the last 90 days (only ``start_date``: the 90 days after it; only ``end_date``: the 90 days
  before it); a ``start_date``–``end_date`` span over 90 days is refused, as the spec allows no more; at most
  1,000 requests. Dates must fall in the years 1970–2100.

Privacy, and how it differs from the standard. GeoReport v2 publishes ``description``, ``address``,
``status_notes`` and ``media_url`` of every request to anyone. Here:

* without ``api_key`` — anyone: every request of the service area, public fields only
  (``PUBLIC_FIELDS``: ``service_request_id``, ``status``, ``service_name``, ``service_code``,
  ``agency_responsible``, ``requested_datetime``, ``updated_datetime``, ``expected_datetime``) and
  ``lat``/``long`` rounded to 3 decimals (about 100 m). The descriptive fields are omitted, not emptied: they
  may name or locate the resident;
* with a valid ``api_key`` (an active ``Open311Client``) — full rows, but only of requests within the
  client's region (a request elsewhere is answered 404);
* with an invalid or inactive ``api_key`` — 403;
* never, with or without a key: the reporter's name, phone and e-mail (the spec never returns them either).

The discovery document's ``key_service`` says this (and defines ``address_id``) for client developers.

CORS: every GET and HEAD answer (errors included) carries ``Access-Control-Allow-Origin: *``, and an
``OPTIONS`` preflight of a GET resource is answered 204, so a browser page on another origin can read
requests; no credentials are involved (the key is a query parameter, never a cookie). POST is not opened to
browsers: its answers carry no CORS header and the preflight does not list it, since a POST needs the
client's secret ``api_key``, which belongs on a server, not in a page.

Errors follow the spec: ``[{"code": <HTTP status>, "description": "..."}]`` or ``<errors><error><code/>
<description/></error></errors>`` in the requested format, with that status (400 bad parameter, naming it;
403 bad ``api_key``; 404 unknown resource; 405 method). Every refusal is logged. Datetimes are ISO 8601 in
Asia/Shanghai (+08:00). The XML and JSON writing is ``open311.formats``.
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
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from changji.community.issues import categories, changes, handlers, intake
from changji.community.issues.workflow import ISSUE_LABELS, LEVEL_LABELS, OPEN_ISSUE_STATES, EscalationLevel, IssueState
from changji.community.models import IssueCategory, IssueChannel, Open311Client, ResidentIssue
from changji.community.open311 import addresses, formats
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
CHANGESET = "2026-12-06T00:00:00+08:00"
#: GeoReport v2 "Response Volume": the default window, and the longest span a GET may ask for.
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
#: Bytes of randomness in a POST's token: 16, written as 32 hex characters (``ResidentIssue.open311_token``).
TOKEN_BYTES = 16
#: The CORS headers of a GET answer and of a GET resource's preflight (no credentials: the key is a parameter).
CORS_HEADERS = {"Access-Control-Allow-Origin": "*"}
PREFLIGHT_HEADERS = {**CORS_HEADERS, "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                     "Access-Control-Allow-Headers": "Accept, Accept-Language", "Access-Control-Max-Age": "86400"}
KEY_SERVICE = ("api_key 由县级平台管理员签发（changji open311_client），只在其区域内上报和查看完整诉求。"
               "POST 的位置可用 lat/long，或只用 address_string（登记的小区名+楼栋名，如“幸福小区1号楼”），"
               "或只用 address_id（B<楼栋编号> 或 C<小区编号>）；description 可省略。"
               "隐私规则与标准不同：不带 api_key 的 GET 只返回状态、类别、承办单位、时间和约 100 米精度的位置，"
               "description、address、status_notes、media_url 等仅对持 key 的客户端在其区域内返回；"
               "诉求人姓名、电话、邮箱从不返回。")


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


def respond(request: HttpRequest, data: Any, fmt: str, root: str, status: int = 200) -> HttpResponse:
    """``data`` in ``fmt`` (``root`` names the XML root), with the CORS header on GET and HEAD answers."""
    body, content_type = formats.render(data, fmt, root)
    response = HttpResponse(body, status=status, content_type=content_type)
    if request.method in ("GET", "HEAD"):
        for name, value in CORS_HEADERS.items():
            response[name] = value
    return response


def _error(request: HttpRequest, status: int, description: str, fmt: str = formats.JSON) -> HttpResponse:
    log.warning("open311 refused %s %s: %d %s", request.method, request.path, status, description)
    return respond(request, [{"code": status, "description": description}], fmt, "errors", status)


def _preflight(methods: tuple[str, ...]) -> HttpResponse:
    """The answer to a CORS preflight: GET resources are open to any origin, POST is not."""
    response = HttpResponse(status=204)
    response["Allow"] = ", ".join((*methods, "HEAD", "OPTIONS"))
    if "GET" in methods:
        for name, value in PREFLIGHT_HEADERS.items():
            response[name] = value
    return response


def _call(view: Callable[..., Any], request: HttpRequest, fmt: str, root: str, *args: Any, **kwargs: Any,
          ) -> HttpResponse:
    """Run ``view`` and answer its data in ``fmt``; refusals become the spec's errors in the same format."""
    try:
        if request.method == "POST":  # the middleware leaves a CSRF-exempt view's multipart body alone
            refuse_nul(request.POST)
        data = view(request, *args, **kwargs)
        return respond(request, data, fmt, root, 201 if request.method == "POST" else 200)
    except Open311Error as error:
        return _error(request, error.status, error.description, fmt)
    except addresses.AddressError as error:
        return _error(request, 400, error.message, fmt)
    except ParamError as error:
        return _error(request, 400, f"{error.name}: must not contain a NUL character", fmt)
    except (BadRequest, SuspiciousOperation, MultiPartParserError, UnicodeDecodeError) as error:
        return _error(request, 400, f"request body: unreadable ({type(error).__name__})", fmt)
    except (OverflowError, ValueError) as error:  # a date or number out of range: never a 500
        log.warning("open311 %s %s: %r", request.method, request.path, error)
        return _error(request, 400, f"parameters: a value is out of range ({type(error).__name__})", fmt)


def endpoint(methods: tuple[str, ...], root: str) -> Callable[[Callable[..., Any]], Callable[..., HttpResponse]]:
    """Wrap a view returning data: the methods, the format suffix, CORS, and ``Open311Error`` as the spec's errors.

    ``root`` is the XML root element of the answer (``services``, ``service_requests`` …); 201 answers a POST.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., HttpResponse]:
        @csrf_exempt  # an API keyed by api_key, not by a session
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, fmt: str = "json", **kwargs: Any) -> HttpResponse:
            try:
                chosen = formats.parse_format(fmt)
            except formats.FormatError as error:
                return _error(request, 400, str(error))
            if request.method == "OPTIONS":
                return _preflight(methods)
            if request.method not in methods and not (request.method == "HEAD" and "GET" in methods):
                response = _error(request, 405, f"method {request.method} not allowed", chosen)
                response["Allow"] = ", ".join(methods)
                return response
            return _call(view, request, chosen, root, *args, **kwargs)

        return declare_public(wrapped, methods)

    return decorator


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds") if value else None


def _service(category: IssueCategory) -> dict[str, Any]:
    return {"service_code": category.code, "service_name": category.name,
            "description": category.description or category.name, "metadata": False, "type": "realtime",
            "keywords": ",".join(filter(None, (category.name, category.group, categories.responsible_label(category)))),
            "group": category.group}


@endpoint(("GET",), "discovery")
def discovery(request: HttpRequest) -> dict[str, Any]:
    """The GeoReport v2 discovery document of this endpoint (``key_service`` states the privacy rule)."""
    return {"changeset": CHANGESET, "contact": "所在社区网格服务站", "key_service": KEY_SERVICE,
            "endpoints": [{"specification": SPEC_URL, "url": request.build_absolute_uri("/open311/v2/"),
                           "changeset": CHANGESET, "type": "production", "formats": list(formats.MIME_TYPES)}]}


@endpoint(("GET",), "services")
def services(request: HttpRequest) -> list[dict[str, Any]]:
    """The service list: every active issue category."""
    return [_service(c) for c in IssueCategory.objects.filter(active=True).order_by("code")]


@endpoint(("GET",), "service_definition")
def service_definition(request: HttpRequest, service_code: str) -> dict[str, Any]:
    """A service definition; our categories ask no extra attributes."""
    category = IssueCategory.objects.filter(code=service_code, active=True).first()
    if category is None:
        raise Open311Error(404, f"service_code {service_code[:32]} not found")
    return {"service_code": category.code, "attributes": []}


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
    """One request, as much of it as the caller may see, in GeoReport v2's field order.

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


def _window(request: HttpRequest) -> tuple[datetime, datetime]:
    """The ``start_date``–``end_date`` window: the last 90 days by default, never longer than 90 days."""
    start, end = _moment(request, "start_date"), _moment(request, "end_date")
    if start is not None and end is not None and end - start > DEFAULT_WINDOW:
        raise Open311Error(400, f"start_date/end_date: 时间跨度不能超过 {DEFAULT_WINDOW.days} 天（GeoReport v2），"
                                "请分段查询")
    try:
        end = end or (start + DEFAULT_WINDOW if start else timezone.now())
        start = start or end - DEFAULT_WINDOW
    except OverflowError:
        raise Open311Error(400, "start_date/end_date: out of range") from None
    if start > end:
        raise Open311Error(400, "start_date: must not be after end_date")
    return start, end


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


def _list_requests(request: HttpRequest) -> list[dict[str, Any]]:
    client = _reader(request)
    full = client is not None
    ids = [i.strip() for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
    if ids:  # the spec: with service_request_id the other parameters are ignored
        if len(ids) > MAX_REQUESTS:
            raise Open311Error(400, f"service_request_id: at most {MAX_REQUESTS} ids")
        return [_request_row(i, full) for i in _visible(client).filter(request_id__in=ids).order_by("-reported_at")]
    start, end = _window(request)
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
    return [_request_row(i, full) for i in found.order_by("-reported_at")[:MAX_REQUESTS]]


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


def _location(request: HttpRequest, client: Open311Client) -> addresses.Place:
    """Where the request is: ``lat`` & ``long``, else ``address_id``, else ``address_string`` (GeoReport v2)."""
    has = {name: bool(request.POST.get(name, "").strip()) for name in ("lat", "long", "address_string", "address_id")}
    if has["lat"] != has["long"]:
        raise Open311Error(400, "lat/long: both are needed (or neither, with address_string or address_id)")
    if has["lat"]:
        lat, lon = _coordinate(request, "lat", -90, 90), _coordinate(request, "long", -180, 180)
        grid = intake.locate_region(lon, lat)
        if grid is None:
            raise Open311Error(400, "lat/long: the location lies outside every grid of this service area")
        if not client.region.contains(grid):
            raise Open311Error(400, "lat/long: the location lies outside the area this api_key may report in")
        return addresses.Place(lon, lat, grid, "", "")
    if has["address_id"]:
        return addresses.resolve_id(request.POST["address_id"], client.region)
    if has["address_string"]:
        return addresses.resolve_string(request.POST["address_string"], client.region)
    raise Open311Error(400, "location: required, as lat and long, address_string or address_id")


#: The personal and descriptive fields of a POST (GeoReport v2 "POST Service Request").
POST_FIELDS = ("description", "address_string", "first_name", "last_name", "email", "phone", "media_url")
#: Our field names in ``IssueError`` → the Open311 parameter named in the 400 answer.
OPEN311_FIELD = {"lon": "long", "lat": "lat", "address": "address_string", "reporter_name": "first_name/last_name",
                 "reporter_phone": "phone", "reporter_email": "email"}


def _create_request(request: HttpRequest) -> list[dict[str, Any]]:
    client = _client(request)
    code = request.POST.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code: required")
    category = IssueCategory.objects.filter(code=code, active=True).first()
    if category is None:
        raise Open311Error(400, f"service_code: {code[:32]} is not a service of this endpoint")
    place = _location(request, client)
    post = {key: request.POST.get(key, "") for key in POST_FIELDS}
    first, last = post["first_name"].strip(), post["last_name"].strip()
    # 张 + 三 → 张三 (family name first, no space); Western names keep "first last".
    name = last + first if not (first + last).isascii() else " ".join(filter(None, (first, last)))
    try:
        with transaction.atomic():
            issue = intake.report(category, post["description"], lon=place.lon, lat=place.lat, region=place.grid,
                                  address=post["address_string"] or place.address, reporter_name=name,
                                  reporter_phone=post["phone"], reporter_email=post["email"],
                                  media_url=post["media_url"], channel=IssueChannel.OPEN311,
                                  description_required=False, now=timezone.now())
            issue.open311_token = secrets.token_hex(TOKEN_BYTES)
            issue.save(update_fields=["open311_token"])
    except changes.IssueError as error:
        field = OPEN311_FIELD.get(error.field, error.field) if error.field is not None else None
        raise Open311Error(400, f"{field}: {error.message}") from error
    audit.record("community.issue.reported", actor=f"open311:{client.name}", target=issue, region=issue.region,
                 request_id=issue.request_id, channel=IssueChannel.OPEN311, client=client.pk,
                 address_id=place.address_id)
    return [{"service_request_id": issue.request_id, "token": issue.open311_token, "service_notice": _notice(issue),
             "account_id": None}]


@endpoint(("GET", "POST"), "service_requests")
def requests(request: HttpRequest) -> list[dict[str, Any]]:
    """GET: the requests (filters service_request_id, service_code, start_date, end_date, status); POST: file one."""
    if request.method == "POST":
        return _create_request(request)
    return _list_requests(request)


@endpoint(("GET",), "service_requests")
def request_detail(request: HttpRequest, service_request_id: str) -> list[dict[str, Any]]:
    """One request, as a list of one (the spec's shape); public fields only without an ``api_key``."""
    client = _reader(request)
    issue = _visible(client).filter(request_id=service_request_id).first()
    if issue is None:
        raise Open311Error(404, f"service_request_id {service_request_id[:24]} not found")
    return [_request_row(issue, client is not None)]


@endpoint(("GET",), "service_requests")
def token_lookup(request: HttpRequest, token: str) -> list[dict[str, Any]]:
    """The request a POST's ``token`` stands for (GeoReport v2 "GET service_request_id from a token")."""
    found = ResidentIssue.objects.filter(open311_token=token).values_list("request_id", flat=True).first()
    if found is None:
        raise Open311Error(404, "token: not found (tokens are 32 hex characters from a POST answer)")
    return [{"service_request_id": found, "token": token}]


@csrf_exempt
def _not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything else under /open311/v2/: the spec's 404, in XML when the path asks for it."""
    fmt = formats.XML if rest.lower().endswith(".xml") else formats.JSON
    return _error(request, 404, f"no such resource: {rest[:64]}", fmt)


not_found = declare_public(_not_found, ("GET", "POST", "PUT", "PATCH", "DELETE"))  # 404 whatever the method
