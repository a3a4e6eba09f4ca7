"""接诉即办 pages: the issue list, an issue with its handling, report forms and the public status page.

The list shows the inbox and the scope, the lights and the three rates; the grid worker has a report form,
residents a public report page and a public status page.

Staff pages reach issues only through ``scope_queryset`` / ``scoped_or_404`` (outside scope: 404) and
offer exactly the actions ``handlers.allowed_actions`` allows; the domain checks them again. Personal
data is masked on every page (``privacy``). The public report page is rate-limited per address
(``core.throttle``); the public status page shows state and level only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from changji.community.deadlines import DEADLINE_LABELS, DeadlineColour, deadline_colour
from changji.community.issues import categories, changes, handlers, handling, intake, limits, meetings, rates
from changji.community.issues.workflow import ISSUE_LABELS, LEVEL_LABELS, OPEN_ISSUE_STATES, EscalationLevel, IssueState
from changji.community.meetings import rules as meeting_rules
from changji.community.meetings import service as meeting_service
from changji.community.models import STAFF_CHANNELS, AgreedAction, Grid, IssueCategory, IssueChannel, ResidentIssue
from changji.community.privacy import mask_name, mask_phone
from changji.community.templatetags.community_public import localised_category_name
from changji.community.web import public_labels
from changji.community.web.common import scoped_or_404
from changji.community.web.meeting_fields import MeetingPartiesForm
from changji.core import audit, params, throttle
from changji.core.access import P
from changji.core.errors import Refusal
from changji.core.guards import PUBLIC, route
from changji.core.languages import resident_page
from changji.core.models import Region, RegionLevel, Role, User
from changji.core.scope import scope_queryset
from changji.core.web_forms import field_of, refuse, run_action

ACTIONS = {"accept": "响应受理", "resolve": "办结", "escalate": "上报上一级",
           "reject": "不予受理（重复或非本社区事项）", "meeting": "记录四方协商会议",
           "complete_action": "议定事项完成", "feedback": "记录群众评价"}
PUBLIC_REPORT_KEY = "#issue-report"  # '#' cannot appear in a username, so no clash with login throttling
#: The session key remembering the issue this browser just reported, for the page after the redirect.
REPORTED_SESSION_KEY = "community.reported_issue"
PAGE_SIZE = 50
MEETING_ACTION_ROWS = 3

#: A form class, for ``_form_as``.
FormT = TypeVar("FormT", bound=forms.Form)


# --- Forms ---------------------------------------------------------------------------------------------------


class CategoryChoiceField(forms.ModelChoiceField):
    """The category list, named in the active language (Kazakh names where a category has one)."""

    def label_from_instance(self, obj: Any) -> str:
        """The category's name in the active language."""
        return localised_category_name(obj)


class ReportForm(forms.Form):
    """A resident's issue: category, what, where (a click on the map fills 经度/纬度) and the contact.

    Labels and errors are translated (the public page is also in Kazakh); the staff pages are always Chinese.
    """

    category = CategoryChoiceField(label=_("类别"), queryset=IssueCategory.objects.filter(active=True),
                                   empty_label=_("请选择"))
    description = forms.CharField(label=_("诉求内容"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    lon = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180,
                           widget=forms.NumberInput(attrs={"step": "any"}))
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90,
                           widget=forms.NumberInput(attrs={"step": "any"}))
    address = forms.CharField(label=_("地址"), max_length=255, required=False)
    reporter_name = forms.CharField(label=_("诉求人"), max_length=64, required=False)
    reporter_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, location_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.location_required = location_required

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns (django-stubs allows an override's None)
        lon, lat = data.get("lon"), data.get("lat")
        if "lon" in self.errors or "lat" in self.errors:
            return data
        if (lon is None) != (lat is None):
            self.add_error("lat" if lat is None else "lon", _("经度和纬度须同时填写"))
        elif lon is None and self.location_required:
            self.add_error("lon", _("请在地图上点选诉求位置，或填写经度和纬度"))
        return data


class StaffReportForm(ReportForm):
    """A grid worker's report for a resident: the form of ``ReportForm`` and how the issue reached them (渠道)."""

    channel = forms.ChoiceField(label="受理渠道", choices=[(c.value, c.label) for c in STAFF_CHANNELS],
                                initial=IssueChannel.GRID_WORKER, required=False)

    def clean_channel(self) -> str:
        """The chosen channel; none chosen is the grid worker's own round (网格员巡查), as before the choice."""
        return self.cleaned_data["channel"] or IssueChannel.GRID_WORKER


#: The public form's errors in its own (translated) words: Django's Kazakh catalogue is Cyrillic Kazakh.
PUBLIC_ERRORS = {
    "required": _("请填写此项。"), "invalid_choice": _("请从列表中选择。"),
    "max_value": _("不能大于 %(limit_value)s。"), "min_value": _("不能小于 %(limit_value)s。"),
    "max_length": _("至多 %(limit_value)d 个字符（现有 %(show_value)d 个）。"),
}
PUBLIC_INVALID = {forms.EmailField: _("请填写有效的电子邮箱。"), forms.FloatField: _("请填写数字。")}


class PublicReportForm(ReportForm):
    """The residents' form: location and a phone number are required (the handler calls back).

    Shown in Chinese or Kazakh, with its errors in the resident's language (``PUBLIC_ERRORS``).
    """

    reporter_phone = forms.RegexField(label=_("联系电话"), regex=r"^[0-9+\-\s]{7,20}$",
                                      error_messages={"invalid": _("请填写有效的电话号码")},
                                      widget=forms.TextInput(attrs={"type": "tel"}))
    reporter_email = forms.EmailField(label=_("电子邮箱（选填）"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, location_required=True, **kwargs)
        for field in self.fields.values():
            invalid = next((text for kind, text in PUBLIC_INVALID.items() if isinstance(field, kind)), None)
            field.error_messages.update(PUBLIC_ERRORS, **({"invalid": invalid} if invalid else {}))


class NoteForm(forms.Form):
    note = forms.CharField(label="响应说明", max_length=500, required=False)


class ResolveForm(forms.Form):
    resolution = forms.CharField(label="办理结果", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class EscalateForm(forms.Form):
    reason = forms.CharField(label="上报理由", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class RejectForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=500)
    duplicate_of = forms.ChoiceField(label="重复于", required=False)

    def __init__(self, *args: Any, suggestions: list[tuple[ResidentIssue, float]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "duplicate_of", forms.ChoiceField).choices = [("", "不是重复诉求")] + [
            (i.request_id, f"{i.request_id}（{i.category.name}，相距 {d:.0f} 米）") for i, d in suggestions]


class MeetingForm(MeetingPartiesForm):
    """The 四方联动 meeting taking up this issue: the four parties (or why one was absent), agreed actions."""


    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, MEETING_ACTION_ROWS + 1):
            self.fields[f"action_{n}_description"] = forms.CharField(label=f"议定事项 {n}", max_length=255,
                                                                     required=False)
            self.fields[f"action_{n}_owner"] = forms.CharField(label="责任方", max_length=64, required=False)
            self.fields[f"action_{n}_due_on"] = params.DayField(label="完成期限", required=False)

    def clean_held_at(self) -> datetime:
        held_at = self.cleaned_data["held_at"]
        problem = meeting_rules.held_at_problem(held_at, timezone.now())
        if problem:
            raise forms.ValidationError(problem)
        return held_at

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns (django-stubs allows an override's None)
        for n in range(1, MEETING_ACTION_ROWS + 1):
            due_on = data.get(f"action_{n}_due_on")
            if due_on is not None and not meetings.plausible_day(due_on):
                self.add_error(f"action_{n}_due_on", "完成期限须在 {}–{} 年之间".format(*meetings.DAY_YEARS))
                data.pop(f"action_{n}_due_on", None)
            row = [data.get(f"action_{n}_{part}") for part in ("description", "owner", "due_on")]
            if any(row) and not all(row):
                for part, value in zip(("description", "owner", "due_on"), row, strict=True):
                    if not value and f"action_{n}_{part}" not in self.errors:
                        self.add_error(f"action_{n}_{part}", "议定事项须填写事项、责任方和完成期限")
        return data

    def actions(self) -> list[meetings.ActionSpec]:
        data = self.cleaned_data
        return [meetings.ActionSpec(*(data[f"action_{n}_{part}"] for part in ("description", "owner", "due_on")))
                for n in range(1, MEETING_ACTION_ROWS + 1) if data.get(f"action_{n}_description")]


class ActionDoneForm(forms.Form):
    agreed_action = forms.ChoiceField(label="议定事项")
    done_on = params.DayField(label="完成日期")

    def __init__(self, *args: Any, open_actions: list[AgreedAction], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_actions = {str(a.pk): a for a in open_actions}
        field_of(self, "agreed_action", forms.ChoiceField).choices = [
            (str(a.pk), f"{a.description}（{a.owner}，{a.due_on:%Y-%m-%d} 前）") for a in open_actions]
        self.fields["done_on"].initial = timezone.localdate()

    def clean_done_on(self) -> Any:
        done_on = self.cleaned_data["done_on"]
        if not meetings.plausible_day(done_on):
            raise forms.ValidationError("完成日期须在 {}–{} 年之间".format(*meetings.DAY_YEARS))
        return done_on


class FeedbackForm(forms.Form):
    satisfied = forms.ChoiceField(label="群众评价", choices=[("yes", "满意"), ("no", "不满意")],
                                  widget=forms.RadioSelect)
    comment = forms.CharField(label="评价意见", max_length=500, required=False)


# --- Helpers -------------------------------------------------------------------------------------------------


def _labels(issue: ResidentIssue) -> dict[str, str]:
    return {"state": ISSUE_LABELS[IssueState(issue.state)], "level": LEVEL_LABELS[EscalationLevel(issue.level)]}


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _grids_json(grids: Any) -> list[dict[str, Any]]:
    return [{"code": g.region_id, "name": g.region.name, "boundary": g.boundary}
            for g in grids.select_related("region")]


def _report_context(form: ReportForm, grids: Any, suggestions: list | None = None) -> dict[str, Any]:
    return {"form": form, "grids": _grids_json(grids), "suggestions": suggestions or [], "now": timezone.now()}


def _suggestions_first(form: ReportForm, now: datetime, user: Any) -> list[tuple[ResidentIssue, float]]:
    """Open issues in ``user``'s scope like the one being reported, shown before it is saved; empty once confirmed."""
    data = form.cleaned_data
    if data.get("confirm") or data.get("lon") is None:
        return []
    return intake.duplicate_suggestions(data["category"], data["lon"], data["lat"], now, user=user)


def _file(form: ReportForm, channel: str, now: datetime, reported_by: Any = None,
          region: Region | None = None) -> ResidentIssue | None:
    data = form.cleaned_data
    try:
        return intake.report(data["category"], data["description"], lon=data.get("lon"), lat=data.get("lat"),
                             address=data.get("address", ""), reporter_name=data.get("reporter_name", ""),
                             reporter_phone=data.get("reporter_phone", ""),
                             reporter_email=data.get("reporter_email", ""), channel=channel, region=region,
                             reported_by=reported_by, now=now)
    except Refusal as error:
        refuse(form, error)
        return None


# --- Staff pages ---------------------------------------------------------------------------------------------


def _filtered(request: HttpRequest, rows: Any, now: datetime) -> tuple[Any, dict[str, str]]:
    chosen = params.parse(request.GET, {
        "state": params.Choice(IssueState, default=""),
        "level": params.Choice(EscalationLevel, default=""),
        "category": params.Code(r"[A-Za-z0-9_-]{1,32}", "类别代码", default=""),
        "channel": params.Choice(IssueChannel, default=""),
        "colour": params.Choice(DeadlineColour, default="")})
    if chosen["channel"]:
        rows = rows.filter(channel=chosen["channel"])
    if chosen["state"]:
        rows = rows.filter(state=chosen["state"])
    if chosen["level"]:
        rows = rows.filter(level=chosen["level"])
    if chosen["category"]:
        rows = rows.filter(category__code=chosen["category"])
    if chosen["colour"]:
        lit = rows.filter(state__in=OPEN_ISSUE_STATES).values_list("pk", "level_started_at", "due_at")
        rows = rows.filter(pk__in=[pk for pk, start, due in lit
                                   if deadline_colour(start, due, now) == chosen["colour"]])
    return rows, chosen


@route(get=P.COMMUNITY_READ)
def issue_list(request: HttpRequest) -> HttpResponse:
    """The user's inbox (``?view=all``: every issue in scope), filtered; lights on open rows; the three rates."""
    now, user = timezone.now(), request.user
    scoped = scope_queryset(ResidentIssue.objects.select_related("category", "region"), user)
    has_inbox = user.is_superuser or (isinstance(user, User) and user.role in (
        *handlers.INBOX_LEVELS, Role.COUNTY_OPERATOR, Role.PREFECTURE_ADMIN))  # the route admits signed-in users only
    view = params.query(request, "view", params.Choice(["inbox", "all"], default="inbox" if has_inbox else "all"))
    rows, chosen = _filtered(request, handlers.inbox_for(user) if view == "inbox" else scoped, now)
    page = Paginator(rows.order_by("-reported_at", "-pk"), PAGE_SIZE).get_page(params.query(request, "page",
                                                                                            params.Page()))
    counts = rates.counts_by_region(scoped, now)
    names = dict(Region.objects.filter(code__in=counts).values_list("code", "name"))
    total = rates.total(counts.values())
    return render(request, "community/issue_list.html", {
        "page": page, "view": view, "chosen": chosen, "now": now,
        "rows": [{"issue": i, "light": limits.colour(i, now), **_labels(i)} for i in page.object_list],
        "states": [(s.value, ISSUE_LABELS[s]) for s in IssueState],
        "levels": [(s.value, LEVEL_LABELS[s]) for s in EscalationLevel],
        "colours": [(c.value, label) for c, label in DEADLINE_LABELS.items()],
        "categories": IssueCategory.objects.order_by("code"), "channels": IssueChannel.choices,
        "total": total, "rates": {"response": _rate(total.response_rate), "resolution": _rate(total.resolution_rate),
                                  "satisfaction": _rate(total.satisfaction_rate)},
        "by_region": sorted(({"name": names.get(code, code), "counts": c, "response": _rate(c.response_rate),
                              "resolution": _rate(c.resolution_rate), "satisfaction": _rate(c.satisfaction_rate)}
                             for code, c in counts.items()), key=lambda r: r["name"]),
        "colour_labels": {c.value: label for c, label in DEADLINE_LABELS.items()},
    })


@route(get=P.COMMUNITY_ISSUE_REPORT, post=P.COMMUNITY_ISSUE_REPORT)
def issue_new(request: HttpRequest) -> HttpResponse:
    """A grid worker files an issue for a resident with its channel (热线、微信…); like open issues nearby first."""
    user = request.user
    grids = scope_queryset(Grid.objects.all(), user)
    form = StaffReportForm(request.POST or None, location_required=not _own_grid(user))
    if request.method != "POST":
        return render(request, "community/issue_form.html", _report_context(form, grids))
    now = timezone.now()
    if form.is_valid():
        suggestions = _suggestions_first(form, now, user)
        if suggestions:
            form = StaffReportForm({**request.POST.dict(), "confirm": "1"}, location_required=not _own_grid(user))
            form.is_valid()
            return render(request, "community/issue_form.html", _report_context(form, grids, suggestions))
        issue = _file(form, form.cleaned_data["channel"], now, reported_by=user, region=_own_grid(user))
        if issue is not None:
            messages.success(request, f"诉求已上报，编号 {issue.request_id}。")
            return redirect("community:issue_detail", issue_id=issue.pk)
    return render(request, "community/issue_form.html", _report_context(form, grids), status=400)


def _own_grid(user: Any) -> Region | None:
    """A grid worker's own grid: where an issue reported without a location (or outside every grid) goes."""
    region = getattr(user, "region", None)
    return region if region is not None and region.level == RegionLevel.GRID else None


def _action_forms(issue: ResidentIssue, user: Any, data: Any, action: str, now: datetime,
                  suggestions: list[tuple[ResidentIssue, float]]) -> dict[str, forms.Form]:
    def bound(name: str) -> Any:
        return data if action == name else None

    makers = {
        "accept": lambda: NoteForm(bound("accept"), prefix="accept"),
        "resolve": lambda: ResolveForm(bound("resolve"), prefix="resolve"),
        "escalate": lambda: EscalateForm(bound("escalate"), prefix="escalate"),
        "reject": lambda: RejectForm(bound("reject"), prefix="reject", suggestions=suggestions),
        "meeting": lambda: MeetingForm(bound("meeting"), prefix="meeting"),
        "complete_action": lambda: ActionDoneForm(bound("complete_action"), prefix="complete_action",
                                                  open_actions=list(AgreedAction.objects.filter(
                                                      issue=issue, done_on__isnull=True))),
        "feedback": lambda: FeedbackForm(bound("feedback"), prefix="feedback"),
    }
    return {name: makers[name]() for name in handlers.allowed_actions(issue, user)}


def _form_as(form: forms.Form, kind: type[FormT]) -> FormT:
    """``form`` checked to be the ``kind`` of form its action uses (``_action_forms`` made it)."""
    if not isinstance(form, kind):
        raise TypeError(f"{type(form).__name__} is not a {kind.__name__}")
    return form


def _apply(issue: ResidentIssue, user: Any, action: str, form: forms.Form, now: datetime) -> str:
    data = form.cleaned_data
    if action == "accept":
        handling.accept(issue, user, now, data["note"])
    elif action == "resolve":
        handling.resolve(issue, user, now, data["resolution"])
    elif action == "escalate":
        issue = handling.escalate(issue, user, now, data["reason"])
        return f"已上报至{LEVEL_LABELS[EscalationLevel(issue.level)]}。"
    elif action == "reject":
        duplicate = (scope_queryset(ResidentIssue.objects.select_related("region"), user)
                     .filter(request_id=data["duplicate_of"]).first() if data["duplicate_of"] else None)
        if data["duplicate_of"] and duplicate is None:  # never reject "as a duplicate" without the link
            raise changes.IssueError("duplicate_of", f"找不到您管辖范围内的诉求 {data['duplicate_of']}")
        handling.reject(issue, user, now, data["reason"], duplicate_of=duplicate)
    elif action == "meeting":
        people = {key: data[key] for key in (*meeting_service.ATTENDEE_LABELS, "absence_reason")}
        meetings.record_meeting(issue, held_at=data["held_at"], place=data["place"], minutes=data["minutes"],
                                actions=_form_as(form, MeetingForm).actions(), actor=user, now=now, **people)
    elif action == "complete_action":
        open_actions = _form_as(form, ActionDoneForm).open_actions
        meetings.complete_action(open_actions[data["agreed_action"]], data["done_on"], user, now)
    else:
        handling.feedback(issue, data["satisfied"] == "yes", now, data["comment"], actor=user)
    return f"已{ACTIONS[action]}。"


#: The labels by the stored values (an event keeps a level or state as its plain string).
LEVEL_NAMES: dict[str, str] = {level.value: label for level, label in LEVEL_LABELS.items()}
STATE_NAMES: dict[str, str] = {state.value: label for state, label in ISSUE_LABELS.items()}


def _history(issue: ResidentIssue) -> list[dict[str, Any]]:
    rows = []
    for event in issue.events.select_related("actor"):
        if event.kind == "escalate":
            what = f"上报：{LEVEL_NAMES.get(event.from_value, '')} → {LEVEL_NAMES.get(event.to_value, '')}"
        elif event.kind == "meeting":
            what = "四方联动会议议题"
        elif event.kind == "action":
            what = "议定事项完成"
        else:
            what = STATE_NAMES.get(event.to_value, event.to_value)
        who = (event.actor.get_full_name() or event.actor.username) if event.actor else (
            "群众" if event.kind == "state" else "系统")
        rows.append({"at": event.at, "who": who, "what": what, "note": event.note})
    return rows


@route(get=P.COMMUNITY_READ, post=P.COMMUNITY_ISSUE_HANDLE)
def issue_detail(request: HttpRequest, issue_id: int) -> HttpResponse:
    """An issue, its history, meetings and agreed actions; POST ``action`` = one of the actions allowed now."""
    user, now = request.user, timezone.now()
    issue = scoped_or_404(ResidentIssue.objects.select_related("category", "region__parent__parent", "duplicate_of"),
                          user, pk=issue_id)
    suggestions = (intake.duplicate_suggestions(issue.category, issue.lon, issue.lat, now, exclude=issue,
                                                user=user)
                   if issue.lon is not None and issue.lat is not None and issue.state == IssueState.REPORTED
                   else [])
    action = request.POST.get("action", "")
    available = _action_forms(issue, user, request.POST or None, action, now, suggestions)
    status = run_action(request, available, action, lambda form: _apply(issue, user, action, form, now),
                        refused="当前状态下您不能进行该操作",
                        refused_status=400 if handlers.may_act(user, issue, EscalationLevel.GRID) else 403)
    if status is None:
        return redirect("community:issue_detail", issue_id=issue.pk)
    return render(request, "community/issue_detail.html", {
        "issue": issue, **_labels(issue), "light": limits.colour(issue, now), "history": _history(issue),
        "handler": handlers.handler_name(issue), "responsible": categories.responsible_party(issue),
        "reporter_name": mask_name(issue.reporter_name), "reporter_phone": mask_phone(issue.reporter_phone),
        "meetings": issue.meetings.prefetch_related("actions"), "forms": available, "actions": ACTIONS,
        "suggestions": suggestions, "colour_labels": {c.value: label for c, label in DEADLINE_LABELS.items()},
    }, status=status)


# --- Public pages --------------------------------------------------------------------------------------------


@resident_page
@route(get=PUBLIC, post=PUBLIC)
def issue_report_public(request: HttpRequest) -> HttpResponse:
    """Residents report an issue without an account; filed, it redirects to ``issue_reported``."""
    grids = Grid.objects.all()
    form = PublicReportForm(request.POST or None)
    if request.method != "POST":
        return render(request, "community/issue_report_public.html", _report_context(form, grids))
    address = request.META.get("REMOTE_ADDR", "")
    if throttle.locked(PUBLIC_REPORT_KEY, address):
        form.add_error(None, _("提交过于频繁，请 15 分钟后再试，或拨打社区电话。"))
        return render(request, "community/issue_report_public.html", _report_context(form, grids), status=429)
    now = timezone.now()
    if form.is_valid():
        issue = _file(form, IssueChannel.WEB, now)
        if issue is not None:
            if throttle.failed(PUBLIC_REPORT_KEY, address) == throttle.MAX_FAILURES:
                audit.record("community.issue.report_throttled", reason="公开上报过于频繁", address=address)
            request.session[REPORTED_SESSION_KEY] = issue.pk
            return redirect("community:issue_reported")
    return render(request, "community/issue_report_public.html", _report_context(form, grids), status=400)


@resident_page
@route(get=PUBLIC)
def issue_reported(request: HttpRequest) -> HttpResponse:
    """The request id of the issue this browser just reported (post/redirect/get).

    The issue is remembered in the session, not named in the URL, so the page shows the reporter their
    number and its deadlines, and nobody else anything; a reload files nothing. Without one: the report form.
    """
    reported = request.session.get(REPORTED_SESSION_KEY)
    issue = (ResidentIssue.objects.select_related("category").filter(pk=reported).first() if reported is not None
             else None)
    if issue is None:
        return redirect("community:issue_report_public")
    return render(request, "community/issue_reported.html", {"issue": issue})


@resident_page
@route(get=PUBLIC)
def issue_status(request: HttpRequest) -> HttpResponse:
    """Public: the state and rung of an issue by its request id; nothing about the reporter or the content."""
    request_id = params.query(request, "id", params.Text(32, default="")).upper()
    issue = (ResidentIssue.objects.select_related("category").filter(request_id=request_id).first()
             if request_id else None)
    context: dict[str, Any] = {"request_id": request_id, "issue": issue}
    if issue is not None:
        context.update(state=public_labels.ISSUE_STATE_NAMES[IssueState(issue.state)],
                       level=public_labels.LEVEL_NAMES[EscalationLevel(issue.level)],
                       open=issue.state in OPEN_ISSUE_STATES)
    return render(request, "community/issue_status.html", context, status=404 if request_id and not issue else 200)


urlpatterns = [
    path("issues/", issue_list, name="issues"),
    path("issues/new/", issue_new, name="issue_new"),
    path("issues/<id:issue_id>/", issue_detail, name="issue_detail"),
    path("report/", issue_report_public, name="issue_report_public"),
    path("report/done/", issue_reported, name="issue_reported"),
    path("report/status/", issue_status, name="issue_status"),
]
