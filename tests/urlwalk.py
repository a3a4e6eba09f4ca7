"""Walking the whole URL conf: every route as a URL, the forms a page offers, and the parameters a view reads.

Shared by the hostile-input walk (tests/test_hostile_input.py) and the post/redirect/get walk
(tests/test_post_redirect_get.py). Nothing here names a route: routes come from ``get_resolver()``,
the parameters a view reads are recorded while it runs (``reads``), and the fields a page posts are
read from its HTML (``page_forms``), so a new route, parameter or form is walked without editing a list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from html.parser import HTMLParser
from typing import Any

from django.http import QueryDict
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

#: ``<converter:name>`` in a path() route, ``(?P<name>regex)`` in a re_path() one.
CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<regex>(?:[^()]|\([^()]*\))*)\)")


@dataclass(frozen=True)
class Route:
    """A route of the URL conf: its path template, its name and its parameters as (name, kind)."""

    template: str
    name: str
    params: tuple[tuple[str, str], ...]

    @property
    def admin(self) -> bool:
        return self.template.startswith("admin/")

    def url(self, values: dict[str, str]) -> str:
        """The URL with each parameter replaced by ``values[name]`` (already URL-safe)."""

        def regex_value(match: re.Match) -> str:
            return values[match["name"]]

        path = GROUP.sub(regex_value, self.template)
        path = CONVERTER.sub(lambda match: values[match["name"]], path)
        return "/" + path.replace("^", "").replace("$", "").replace("\\.", ".")


def routes() -> list[Route]:
    """Every route of the root URL conf, in order."""
    found: list[Route] = []

    def walk(patterns: list, prefix: str, namespace: str) -> None:
        for entry in patterns:
            template = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, template, inner)
            elif isinstance(entry, URLPattern):
                params = [(m["name"], "regex:" + m["regex"]) for m in GROUP.finditer(template)]
                params += [(m["name"], m["converter"] or "str") for m in CONVERTER.finditer(GROUP.sub("", template))]
                found.append(Route(template, namespace + (entry.name or ""), tuple(params)))

    walk(get_resolver().url_patterns, "", "")
    return found


def benign_value(name: str, kind: str, ids: dict[str, str]) -> str:
    """The value that reaches a real object: ``ids[name]``, or for a regex group its first alternative that fits."""
    if kind.startswith("regex:"):
        regex = kind.removeprefix("regex:")
        for candidate in (ids.get(name, ""), *regex.split("|")):
            if candidate and re.fullmatch(regex, candidate):
                return candidate
    if name not in ids:
        raise AssertionError(f"a route has the parameter {name!r}: give the walk's world an object for it")
    return ids[name]


def urls_of(route: Route, world: dict[str, list[str]]) -> list[tuple[str, dict[str, str]]]:
    """The route's URLs reaching real objects, with their path values: one per seeded state of each parameter."""
    first = {name: benign_value(name, kind, {k: v[0] for k, v in world.items()}) for name, kind in route.params}
    urls = [(route.url(first), first)]
    for name, kind in route.params:
        for other in world.get(name, [])[1:]:
            values = {**first, name: benign_value(name, kind, {name: other})}
            urls.append((route.url(values), values))
    return urls


@cache
def _api_queries() -> tuple[tuple[re.Pattern[str], frozenset[str]], ...]:
    from changji.api import api

    return tuple((re.compile(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template))),
                  frozenset(p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"))
                 for template, operations in api.get_openapi_schema()["paths"].items() if "get" in operations)


def api_parameters(url: str) -> set[str]:
    """The query parameters the JSON API's OpenAPI document declares for the GET of ``url`` (none elsewhere).

    django-ninja reads its query by iterating it, which ``reads`` does not see.
    """
    path = url.split("?")[0]
    return next((set(names) for pattern, names in _api_queries() if pattern.fullmatch(path)), set())


# --- What a view reads --------------------------------------------------------------------------------------


@contextmanager
def reads() -> Iterator[set[str]]:
    """Record the keys looked up on any QueryDict (request.GET / request.POST) while the block runs."""
    seen: set[str] = set()
    originals = {name: getattr(QueryDict, name) for name in ("get", "getlist", "__getitem__", "__contains__")}

    def recording(name: str):
        inner = originals[name]

        def method(self, key, *args, **kwargs):
            if isinstance(key, str):
                seen.add(key)
            return inner(self, key, *args, **kwargs)

        return method

    for name in originals:
        setattr(QueryDict, name, recording(name))
    try:
        yield seen
    finally:
        for name in originals:
            if name in QueryDict.__dict__:
                delattr(QueryDict, name)
        assert QueryDict.get is MultiValueDict.get


# --- The forms a page offers -----------------------------------------------------------------------------------


@dataclass
class PageForm:
    """A POST form of a page: where it posts, and the value each field would carry when submitted as shown."""

    action: str
    fields: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def hint(self, hints: dict[str, str]) -> None:
        """Put in a plausible value where a form needs a particular one (a valid identity number, a phone…)."""
        for name in self.fields:
            bare = name.rsplit("-", 1)[-1]
            if bare not in hints:
                continue
            if self.kinds.get(name) == "select":
                if hints[bare] in self.options.get(name, []):
                    self.fields[name] = hints[bare]
            elif self.kinds.get(name) not in ("hidden", "checkbox", "radio"):
                self.fields[name] = hints[bare]

    def submissions(self) -> list[dict[str, str]]:
        """The bodies a user can send: one per named submit button (or one when there is none)."""
        if not self.buttons:
            return [dict(self.fields)]
        return [{**self.fields, name: value} for name, value in self.buttons]


def filled(kind: str, value: str) -> str:
    """A plausible value for an empty input of ``kind`` (what a user would type)."""
    if value:
        return value
    now = timezone.localtime()
    return {
        "date": now.date().isoformat(), "datetime-local": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "time": "09:00", "number": "1", "email": "someone@example.com", "tel": "13800000000", "hidden": "",
        "checkbox": "on", "radio": "on", "password": "x-Secret-2026",
    }.get(kind, "测试")


def _add_input(form: PageForm, name: str, a: dict[str, str]) -> None:
    """Add an ``<input>``: a file, a submit button, a box or radio (checked, else the first), or a filled value."""
    kind = a.get("type", "text").lower()
    if kind == "file":
        form.files.append(name)
    elif kind == "submit":
        form.buttons.append((name, a.get("value", "")))
    elif kind in ("checkbox", "radio"):
        if name not in form.fields or "checked" in a:
            form.fields[name] = a.get("value", "on")
            form.kinds[name] = kind
    else:
        form.fields[name] = filled(kind, a.get("value", ""))
        form.kinds[name] = kind


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self.current: PageForm | None = None
        self.select: str | None = None
        self.chosen = False
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.current = PageForm(a.get("action", "")) if a.get("method", "get").lower() == "post" else None
            return
        form, name = self.current, a.get("name", "")
        if form is None:
            return
        if tag == "input" and name:
            _add_input(form, name, a)
        elif tag == "button" and name and a.get("type", "submit") == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self.select, self.chosen = name, False
            form.kinds[name] = "select"
        elif tag == "option" and self.select:  # the option selected, else the first a user could pick
            value = a.get("value", "")
            form.options.setdefault(self.select, []).append(value)
            if value and not self.chosen and ("selected" in a or not form.fields.get(self.select)):
                form.fields[self.select] = value
                self.chosen = "selected" in a
            form.fields.setdefault(self.select, value)
        elif tag == "textarea" and name:
            self.textarea = name
            form.fields[name] = ""
            form.kinds[name] = "textarea"

    def handle_data(self, data: str) -> None:
        if self.current is not None and self.textarea:
            self.current.fields[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.current is not None:
            self.forms.append(self.current)
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.current is not None and self.textarea:
            self.current.fields[self.textarea] = filled("text", self.current.fields[self.textarea].strip())
            self.textarea = None


def page_forms(response: Any, url: str, hints: dict[str, str] | None = None) -> list[PageForm]:
    """The POST forms of an HTML response, each with the path it posts to (an empty action: the page itself).

    Each is filled as shown and with ``hints`` (by field name without its form prefix) where a field needs one.
    """
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return []
    parser = _FormParser()
    parser.feed(response.content.decode("utf-8", "replace"))
    for form in parser.forms:
        form.action = (form.action or url).split("?")[0]
        form.fields.pop("csrfmiddlewaretoken", None)
        form.hint(hints or {})
    return parser.forms


# --- A world with an object behind every path parameter ---------------------------------------------------------


def _norm_world(well: Any) -> tuple[Any, list[Any]]:
    """A water user of the well (with a crop plan line) and two norm rows: prefecture-wide and 木垒县's own."""
    from changji.water.models import CropPlan, QuotaNorm, WaterUser

    user = WaterUser.objects.create(code="652328-U00001", name="木垒合作社", kind="cooperative", region_id="652328")
    well.water_user = user
    well.save()
    year = timezone.localdate().year
    CropPlan.objects.create(water_user=user, year=year, crop="小麦", area_mu=100, method="drip")
    return user, [QuotaNorm.objects.create(year=year, kind="crop", category="小麦", method="drip", value=value,
                                           unit="m³/亩", region_id=region) for region, value in ((None, 300),
                                                                                                ("652328", 330))]


def build_world(community_world: Any, make_user: Any) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Seed one object (or one per state that offers different forms) for every path parameter of the URL conf.

    Water, services and community objects all lie in 木垒县 (652328) where ``community_world`` is, so a
    county user of 652328 reaches them; the services catalogue is the demo one (its bundles in 阜康市).
    Returns the path values by parameter name (a list holds one value per state worth walking), and hints
    for filling forms (``page_forms``).
    """
    from django.core.files.base import ContentFile

    from changji.community import activities, people, points
    from changji.community.issues import categories, handling, intake
    from changji.community.models import IssueCategory, Open311Client, Room, RoomKind
    from changji.community.open311 import create_client
    from changji.community.wishes import service as wishes
    from changji.core.identity import resident_id_check_char
    from changji.core.models import Notification
    from changji.services import cases
    from changji.services.demo_catalogue import seed_demo_catalogue
    from changji.services.models import Bundle, CatalogueMaterial
    from changji.water.models import (
        Alarm,
        Allocation,
        AllocationChange,
        Command,
        Licence,
        QuarantinedTerminal,
        Terminal,
        WaterUser,
        Well,
    )

    w = community_world
    now = timezone.now()
    today = timezone.localdate()
    root = make_user("walk-root", None, is_superuser=True, is_staff=True)

    well = Well.objects.create(code="652328-00001", name="木垒1号井", region_id="652328", latitude=43.83,
                               longitude=90.28, pump_rated_power_kw=30, pump_rated_flow_m3h=55)
    terminal = Terminal.objects.create(protocol="szy206", address="6523280001", well=well, region_id="652328")
    alarm = Alarm.objects.create(terminal=terminal, well=well, kind="door_open", severity="warning", state="open",
                                 raised_at=now, evidence={"door_open": True})
    command = Command.objects.create(terminal=terminal, kind="pump_stop", reason="walk", requested_by_name="walk",
                                     expires_at=now + timedelta(hours=1))
    quarantined = QuarantinedTerminal.objects.create(protocol="szy206", address="6523289999", first_seen_at=now,
                                                     last_seen_at=now)
    well.water_user = WaterUser.objects.create(code="652328-U1", name="木垒用水合作社", kind="cooperative",
                                               region_id="652328")
    well.save()
    licence = Licence.objects.create(number="取水（木）字〔2026〕第1号", water_user=well.water_user,
                                     permitted_m3_per_year=80_000, valid_from=today.replace(month=1, day=1),
                                     valid_to=today + timedelta(days=60), issuing_authority="木垒县水利局")
    licence.wells.add(well)
    allocation = Allocation.objects.create(year=today.year, well=well, allocation_m3=1000, stop_due_at=now,
                                           override_until=now + timedelta(days=1))
    change = AllocationChange.objects.create(allocation=allocation, amount_m3=100, reason="walk", by_name="walk")

    seed_demo_catalogue()
    bundle = Bundle.objects.get(code="YJS-CY")
    catalogue_material = CatalogueMaterial.objects.create(code="WALK-M", name="营业执照", region_id="652302",
                                                          template=ContentFile(b"%PDF-1.4 walk", name="walk.pdf"))
    applicant = cases.Applicant("enterprise", "阜康市老王餐饮有限公司", "91350100M000100Y43", "13800000000")
    answers = {"business_name": "老王面馆", "address": "阜康市天池街 1 号", "legal_person": "王某",
               "registered_capital": 10, "food_category": "热食类", "outdoor_sign": True, "sign_size": "3×1"}
    materials = {code: (f"{code}.pdf", b"%PDF walk") for code in
                 ("id", "lease", "articles", "layout", "food_safety", "sign_design")}
    submitted = cases.submit(bundle, applicant, "online", dict(answers), materials, by="applicant")
    accepted = cases.submit(bundle, applicant, "online", dict(answers), materials, by="applicant")
    subs = cases.accept(accepted, root)
    cases.claim(subs[0], root)

    categories.seed_categories()
    category = IssueCategory.objects.get(code="property")
    reported = intake.report(category, "电梯停运", lon=90.285, lat=43.835, reporter_phone="13912345678", now=now)
    negotiated = intake.report(category, "楼道堆物", lon=90.285, lat=43.835, now=now)
    for _ in range(2):
        negotiated = handling.escalate(negotiated, root, now, "需要协商")
    _, api_key = create_client("walk", w.town)
    assert Open311Client.objects.exists() and api_key

    member = people.register_member(w.east, "王五", "652328198506120037", "13800000001", "县教育局", "in_service",
                                    today, actor=None)
    unit = people.register_unit(w.east, "县供电公司", "赵六", "13800000002", today, actor=None)
    people.sign_agreement(unit, today.year, "承诺", {"needs": ["需"], "resources": ["资"], "projects": ["项"],
                                                   "responsibilities": ["责"]}, today, actor=None)
    points.create_period(w.east, "上半年", today.replace(month=1, day=1), today, actor=None)
    posted = wishes.post_wish(w.zhang, "助行器", actor=None)
    published = wishes.review(wishes.post_wish(w.zhang, "陪同就医", actor=None), True, actor=root)
    claimed = wishes.claim(wishes.review(wishes.post_wish(w.li, "理发", actor=None), True, actor=root),
                           member=member, actor=root)
    activity = activities.record_activity(w.east, "market", "便民集市", today, "广场", root)
    photo = activities.add_photo(activity, ContentFile(b"\x89PNG\r\n\x1a\n" + b"0" * 64, name="a.png"), "x", actor=root)
    room = Room.objects.create(region=w.east, name="活动室", kind=RoomKind.SERVICE, function="文化", area_m2=50)
    liaison, organisation = seed_organisations(w, unit, root, today)
    water_user, norms = _norm_world(well)
    notice = Notification.objects.create(event="water.quota.stop", channel="in_app", user=root, title="已关泵",
                                         body="机井已关泵", region_id="652328", state="sent", sent_at=now)
    failed = Notification.objects.create(event="water.quota.stop", channel="sms", address="13800000000",
                                         title="已关泵", body="机井已关泵", region_id="652328", state="failed")

    tax_ids = seed_tax(well, today)
    picture = _picture(terminal, now)
    order_ids = seed_work_orders(well, make_user)

    first17 = "65232819900101123"
    hints = {"applicant_identifier": applicant.identifier, "applicant_kind": "enterprise", "registered_capital": "10",
             "reporter_phone": "13912345678", "lon": "90.285", "lat": "43.835", "ends_at": "10:00",
             "id_number": first17 + resident_id_check_char(first17), "year": str(today.year + 1),
             "receipt": submitted.receipt_number, "code": submitted.query_code, "well_code": ""}

    def ids(*objects: Any) -> list[str]:
        return [str(getattr(o, "pk", o)) for o in objects]

    return {
        "well_id": ids(well), "alarm_id": ids(alarm), "quarantined_id": ids(quarantined),
        "terminal_id": ids(terminal), "command_id": ids(command), "licence_id": ids(licence),
        "allocation_id": ids(allocation),
        "change_id": ids(change),
        "bundle_id": ids(bundle), "case_id": ids(submitted, accepted), "material_id": ids(submitted.materials.first()),
        "sub_case_id": ids(*subs[:2]),
        "department_code": [bundle.lead_department.code], "item_code": ["SCJG-001"],
        "material_code": [catalogue_material.code],
        "issue_id": ids(reported, negotiated), "wish_id": ids(posted, published, claimed),
        "activity_id": ids(activity), "photo_id": ids(photo), "unit_id": ids(unit), "pk": ids(room),
        "service_code": [category.code], "service_request_id": [reported.request_id], "fmt": ["json"],
        "rest": ["nothing"], "path": ["Things"], "uidb64": ["MQ"], "token": ["set-password"], "object_id": ["1"],
        "content_type_id": ["1"], "url": ["x"], "id": ids(root), "api_key": [api_key], **tax_ids,
        "water_user_id": ids(water_user), "norm_id": ids(*norms),
        "notification_id": ids(notice, failed),
        "picture_id": ids(picture), "region_code": ["652328"],
        "liaison_id": ids(liaison), "organisation_id": ids(organisation),
        **seed_groundwater(well),
        "order_id": order_ids,
        "order_photo_id": [seed_work_order_photo(order_ids[1])],
        **seed_profiles(terminal),
        **seed_kpi_targets(well, today),
        **seed_exchange(well),
        **seed_hall("652328"),
        **seed_visits(w),
        **seed_meeting(w.east, now, issue=negotiated),
    }, hints


def seed_visits(world: Any) -> dict[str, list[str]]:
    """Visits (one with an open follow-up, one without), a care household and a residents' meeting in grid A."""
    from changji.community.models import ResidentsMeeting
    from changji.community.visits import service

    now = timezone.now()
    open_visit = service.record_visit(None, household=world.household, visited_at=now, topic="walk", now=now,
                                      visitor_name="walk", follow_up=service.FollowUp("walk", timezone.localdate()))
    done = service.record_visit(None, compound=world.happy, visited_at=now, topic="walk", now=now,
                                visitor_name="walk")
    care = service.tag_for_care(world.household, ["elderly_alone"], None, today=timezone.localdate())
    meeting = ResidentsMeeting.objects.create(region=world.grid_a.region, kind="pavilion", held_at=now, place="凉亭",
                                              host="walk", attendee_count=5, topics="walk")
    return {"visit_id": [str(open_visit.pk), str(done.pk)], "care_id": [str(care.pk)],
            "residents_meeting_id": [str(meeting.pk)]}


def _picture(terminal: Any, now: Any) -> Any:
    """A stored picture (the simulator's real JPEG) of ``terminal`` (the 现场图片 pages' path value)."""
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from changji.water.models import Snapshot
    from changji.water.sim.simulator import camera_picture

    jpeg = camera_picture(terminal.address)
    name = default_storage.save(f"snapshots/walk-{terminal.pk}.jpg", ContentFile(jpeg))
    return Snapshot.objects.create(terminal=terminal, observed_at=now, received_at=now, image=name,
                                   size_bytes=len(jpeg), sha256=hashlib.sha256(jpeg).hexdigest())


def seed_work_orders(well: Any, make_user: Any) -> list[str]:
    """Work orders on ``well`` in the states whose pages offer different forms: 待派单, 已派单, 已完成 (issue 15)."""
    from changji.water.models import WorkOrder

    worker = make_user(f"walk-worker-{well.region_id}", well.region_id, role="maintenance_worker")
    today = timezone.localdate()
    pending = WorkOrder.objects.create(kind="repair", well=well, due_on=today, description="walk")
    assigned = WorkOrder.objects.create(kind="calibration", well=well, due_on=today, state="assigned",
                                        assignee=worker, assigned_at=timezone.now())
    done = WorkOrder.objects.create(kind="repair", well=well, due_on=today, state="done", assignee=worker,
                                    result="walk", done_at=timezone.now())
    return [str(pending.pk), str(assigned.pk), str(done.pk)]


def seed_work_order_photo(order_id: str) -> str:
    """A photo of the order ``order_id`` (the work-order photo route's path value)."""
    import io
    import uuid

    from django.core.files.base import ContentFile
    from PIL import Image

    from changji.water.models import WorkOrderPhoto

    data = io.BytesIO()
    Image.new("RGB", (8, 8)).save(data, "JPEG")
    photo = WorkOrderPhoto(order_id=int(order_id), client_id=uuid.uuid4(), size_bytes=len(data.getvalue()),
                           sha256="0" * 64)
    photo.image.save(f"walk-{photo.client_id}.jpg", ContentFile(data.getvalue()), save=True)
    return str(photo.pk)


def seed_hall(region_code: str) -> dict[str, list[str]]:
    """A window of the region's hall, a ticket waiting and one called, a consultation (the hall's path values)."""
    from changji.services import consultations, queue
    from changji.services.models import ServiceWindow

    window = ServiceWindow.objects.create(region_id=region_code, number=1, name="综合窗口",
                                          service_types=["wholesale_retail", "consultation"])
    called = queue.take(window.region, "wholesale_retail")
    waiting = queue.take(window.region, "consultation")
    queue.call_next(window, _hall_caller(window))
    consultation = consultations.record(window.region, None, consultations.ConsultationIn(
        topic="咨询", question="问题", guidance="答复"), window=window)
    return {"window_id": [str(window.pk)], "ticket_id": [str(called.pk), str(waiting.pk)],
            "consultation_id": [str(consultation.pk)]}


def _hall_caller(window: Any) -> Any:
    """A clerk sitting at ``window`` (the walk's own accounts stay as they are)."""
    from changji.core.models import User

    clerk = User.objects.create_user(username=f"hall-walk-{window.pk}", password="x-Secret-2026",
                                     role="window_clerk", region=window.region)
    window.clerks.add(clerk)
    return clerk


def seed_tax(well: Any, today: Any) -> dict[str, list[str]]:
    """A water user owning ``well``, a tax rate and an overdraft area (the 水资源税 pages' path values)."""
    from decimal import Decimal

    from changji.water.models import OverdraftArea, WaterTaxRate, WaterUser

    user = well.water_user or WaterUser.objects.create(code=f"{well.region_id}-U1", name="取水户",
                                                       kind="cooperative", region_id=well.region_id)
    well.water_user = user
    well.save(update_fields=["water_user"])
    rate = WaterTaxRate.objects.create(source="groundwater", use="agricultural", zone="normal",
                                       rate_yuan_per_m3=Decimal("0.1"), valid_from_year=2024, document="walk")
    area = OverdraftArea.objects.create(region_id=well.region_id, level="overdraft", designated_on=today,
                                        document="walk")
    return {"water_user_code": [user.code], "rate_id": [str(rate.pk)], "area_id": [str(area.pk)]}


def seed_groundwater(well: Any) -> dict[str, list[str]]:
    """A monitoring well with a red line beside ``well`` and a 超采区 zone around it (the 地下水 pages' path values)."""
    from changji.water.models import ControlLevel, OverdraftZone, Well

    monitoring = Well.objects.create(code=f"{well.region_id}-M{well.pk}", name="监测井", kind="monitoring",
                                     region_id=well.region_id, latitude=well.latitude + 0.01,
                                     longitude=well.longitude)
    ControlLevel.objects.create(well=monitoring, control_depth_m=30.0, document="walk")
    lat, lon = well.latitude, well.longitude
    zone = OverdraftZone.objects.create(
        name=f"超采区{well.pk}", level="severe", region_id=well.region_id, document="walk", valid_from_year=2024,
        geometry={"type": "Polygon", "coordinates": [[[lon - 0.05, lat - 0.05], [lon + 0.05, lat - 0.05],
                                                      [lon + 0.05, lat + 0.05], [lon - 0.05, lat - 0.05]]]})
    return {"monitoring_well_id": [str(monitoring.pk)], "zone_id": [str(zone.pk)]}


def seed_profiles(terminal: Any) -> dict[str, list[str]]:
    """A protocol profile, a device batch holding ``terminal`` and an open 规约不符 suggestion for it (issue 15)."""
    from changji.water.models import DeviceBatch, ProfileSuggestion, ProtocolProfile

    profile = ProtocolProfile.objects.create(name=f"走查配置{terminal.pk}", protocol=terminal.protocol)
    other = ProtocolProfile.objects.create(name=f"走查配置{terminal.pk}-B", protocol=terminal.protocol,
                                           options={"word_order": "big"})
    batch = DeviceBatch.objects.create(name=f"走查批次{terminal.pk}", profile=profile)
    terminal.batch = batch
    terminal.save(update_fields=["batch"])
    suggestion = ProfileSuggestion.objects.create(terminal=terminal, current_profile=profile, suggested_profile=other,
                                                  current_score=0.4, score=1.0, created_at=timezone.now())
    return {"profile_id": [str(profile.pk)], "batch_id": [str(batch.pk)], "suggestion_id": [str(suggestion.pk)]}
def seed_exchange(well: Any) -> dict[str, list[str]]:
    """A credential issued to a downstream instance of the well's county (the exchange pages' path values)."""
    from changji.water.models import DownstreamPeer

    peer = DownstreamPeer.objects.create(name=f"走查下级{well.region_id}", region_id=well.region_id,
                                         key_id=f"{well.region_id}-walk{well.pk}", secret="walk-secret-not-used")
    return {"peer_id": [str(peer.pk)]}


def seed_kpi_targets(well: Any, today: Any) -> dict[str, list[str]]:
    """A KPI target and a deployment plan of the well's county (the 考核 pages' path values, issue 15)."""
    from changji.water.models import DeploymentPlan, KpiTarget

    DeploymentPlan.objects.create(region_id=well.region_id, year=today.year, planned_sets=10)
    target = KpiTarget.objects.create(region_id=well.region_id, year=today.year, metric="online_rate", target_pct=95)
    return {"target_id": [str(target.pk)]}


def seed_organisations(w: Any, unit: Any, actor: Any, today: Any) -> tuple[Any, Any]:
    """A unit's 包联 to grid A with an open duty, and a party organisation of 东城 (the 包联 pages' path values)."""
    from changji.community.organisations import liaisons, party

    liaison = liaisons.attach(liaisons.Attachment(kind="unit", starts_on=today, region=w.grid_a.region, unit=unit),
                              actor, [("needs", "加装路灯")])
    organisation = party.create_organisation(w.east, actor, name="东城走查党支部", founded_on=today)
    return liaison, organisation


def seed_meeting(community: Any, now: Any, place: str = "社区会议室", issue: Any = None) -> dict[str, list[str]]:
    """A 四方联动 meeting of ``community`` held a day before ``now`` with one open decision (the path values)."""
    from changji.community.models import AgendaItem, AgreedAction, CoordinationMeeting

    meeting = CoordinationMeeting.objects.create(
        region=community, held_at=now - timedelta(days=1), place=place, party_attendee="王书记",
        committee_attendee="刘主任", owners_committee_attendee="赵主任", property_attendee="李经理", minutes=place)
    if issue is not None:
        AgendaItem.objects.create(meeting=meeting, issue=issue, outcome=place)
    decision = AgreedAction.objects.create(meeting=meeting, issue=issue, description=place, owner="天山物业",
                                           due_on=(now + timedelta(days=7)).date())
    return {"meeting_id": [str(meeting.pk)], "decision_id": [str(decision.pk)]}
