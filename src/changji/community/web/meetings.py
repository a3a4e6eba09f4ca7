"""四方联动 pages: the region's meetings, recording one, one meeting, the tracked decisions, the XLSX register.

GET needs ``community.read``; POST ``community.meeting.record`` (the service refuses grid workers, who
record residents' meetings instead). Meetings and decisions are reached through ``core.scope`` (outside
scope: 404); query parameters through ``core.params`` (bad input: 400). Recording is done by
``community.meetings.service``; these pages only collect and show.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from changji.community.issues.workflow import ISSUE_LABELS, OPEN_ISSUE_STATES, IssueState
from changji.community.meetings import rules, service
from changji.community.meetings.queries import (
    ACTION_STATUS_LABELS,
    ActionStatus,
    MeetingFilter,
    filter_actions,
    filter_meetings,
    meetings_in_scope,
    with_counts,
)
from changji.community.meetings.workbook import meetings_workbook
from changji.community.models import AgreedAction, CoordinationMeeting, ResidentIssue
from changji.community.web.common import scoped_or_404
from changji.community.web.meeting_fields import MeetingPartiesForm
from changji.core import params
from changji.core.access import P
from changji.core.errors import Refusal
from changji.core.guards import route
from changji.core.models import Region, RegionLevel
from changji.core.scope import scope_queryset
from changji.core.web_forms import refuse, run_action

PAGE_SIZE = 50
#: Decision rows on the new-meeting form.
DECISION_ROWS = 5
#: The most open issues listed to tick on the new-meeting form (older ones are entered by request id).
AGENDA_CHOICES = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,24}", re.ASCII)
_MONTH = r"[0-9]{4}-(0[1-9]|1[0-2])"


# --- Filters -------------------------------------------------------------------------------------------------


def _communities(user: Any) -> list[Region]:
    return list(scope_queryset(Region.objects.filter(level=RegionLevel.VILLAGE), user).order_by("code"))


def meeting_filter(data: Any) -> tuple[MeetingFilter, dict[str, Any]]:
    """The list's filter from the query (community, month or first/last day, open decisions); 400 when bad."""
    chosen = params.parse(data, {
        "community": params.RegionCode(default=""), "month": params.Code(_MONTH, "YYYY-MM 格式的月份", default=""),
        "first": params.Day(default=None), "last": params.Day(default=None),
        "open": params.Choice(["yes", "no"], default="")})
    first, last = chosen["first"], chosen["last"]
    if chosen["month"]:
        year, month = (int(part) for part in chosen["month"].split("-"))
        if not params.FIRST_YEAR <= year <= params.LAST_YEAR:
            raise params.ParamError("month", f"年份应在 {params.FIRST_YEAR}–{params.LAST_YEAR} 之间")
        first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if first is not None and last is not None and first > last:
        raise params.ParamError("first", "开始日期不能晚于结束日期")
    opened = {"yes": True, "no": False}.get(chosen["open"])
    return MeetingFilter(chosen["community"], first, last, opened), chosen


def _query(chosen: dict[str, Any]) -> str:
    return urlencode({k: v for k, v in chosen.items() if v not in ("", None)})


# --- Forms ---------------------------------------------------------------------------------------------------


class MeetingForm(MeetingPartiesForm):
    """A 四方联动 meeting of one community: who came, the agenda (ticked or by request id), decisions."""

    community = forms.ChoiceField(label="社区", widget=forms.HiddenInput)
    agenda = forms.MultipleChoiceField(label="议题（本社区办理中的诉求）", required=False,
                                       widget=forms.CheckboxSelectMultiple)
    agenda_ids = forms.CharField(label="按诉求编号添加议题（每行一个：编号 议定情况）", required=False, max_length=5000,
                                 widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, communities: list[Region], community: Region | None,
                 user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["community"].choices = [(c.code, c.name) for c in communities]  # type: ignore[attr-defined]
        self.fields["community"].initial = community.code if community else ""
        self.open_issues = list(_open_issues(community, user)) if community else []
        self.fields["agenda"].choices = [(str(i.pk), i.request_id) for i in self.open_issues]  # type: ignore
        for issue in self.open_issues:
            self.fields[f"outcome_{issue.pk}"] = forms.CharField(label=f"{issue.request_id} 议定情况", max_length=255,
                                                                 required=False)
        for n in range(1, DECISION_ROWS + 1):
            self.fields[f"decision_{n}_description"] = forms.CharField(label=f"议定事项 {n}", max_length=255,
                                                                       required=False)
            self.fields[f"decision_{n}_owner"] = forms.CharField(label="责任方", max_length=64, required=False)
            self.fields[f"decision_{n}_due_on"] = params.DayField(label="完成期限", required=False)
            self.fields[f"decision_{n}_issue"] = forms.CharField(label="所涉诉求编号（选填，须列入议题）",
                                                                 max_length=24, required=False)

    def clean_agenda_ids(self) -> list[tuple[ResidentIssue, str]]:
        """The issues entered by request id, each with its outcome; unknown or out-of-scope ids refused."""
        found = []
        for line in self.cleaned_data["agenda_ids"].splitlines():
            parts = line.strip().split(maxsplit=1)
            if not parts:
                continue
            request_id = parts[0].upper()
            issue = (scope_queryset(ResidentIssue.objects.select_related("region"), self.user)
                     .filter(request_id=request_id).first() if _REQUEST_ID.fullmatch(request_id) else None)
            if issue is None:
                raise forms.ValidationError(f"找不到您管辖范围内的诉求 {parts[0][:24]}")
            found.append((issue, parts[1].strip() if len(parts) > 1 else ""))
        return found

    def clean(self) -> dict[str, Any]:
        """Each decision row is empty or has what, who and by when."""
        super().clean()
        data = self.cleaned_data
        for n in range(1, DECISION_ROWS + 1):
            row = [data.get(f"decision_{n}_{part}") for part in ("description", "owner", "due_on")]
            if any(row) and not all(row):
                for part, value in zip(("description", "owner", "due_on"), row, strict=True):
                    if not value and f"decision_{n}_{part}" not in self.errors:
                        self.add_error(f"decision_{n}_{part}", "议定事项须填写事项、责任方和完成期限")
        return data

    def agenda_and_outcomes(self) -> tuple[list[ResidentIssue], dict[int, str]]:
        """The agenda (ticked, then by request id) and the outcome said on each."""
        data = self.cleaned_data
        ticked = {str(i.pk): i for i in self.open_issues}
        agenda = [ticked[pk] for pk in data["agenda"]]
        outcomes = {i.pk: data.get(f"outcome_{i.pk}", "") for i in agenda}
        for issue, outcome in data["agenda_ids"]:
            agenda.append(issue)
            outcomes[issue.pk] = outcome or outcomes.get(issue.pk, "")
        return agenda, outcomes

    def decisions(self, agenda: list[ResidentIssue]) -> list[service.Decision]:
        """The filled decision rows; a named issue must be on the agenda."""
        data, by_id = self.cleaned_data, {i.request_id: i for i in agenda}
        made = []
        for n in range(1, DECISION_ROWS + 1):
            if not data.get(f"decision_{n}_description"):
                continue
            named = (data.get(f"decision_{n}_issue") or "").strip().upper()
            if named and named not in by_id:
                raise service.MeetingError(f"decision_{n}_issue", f"诉求 {named[:24]} 须先列入本次会议议题")
            made.append(service.Decision(data[f"decision_{n}_description"], data[f"decision_{n}_owner"],
                                         data[f"decision_{n}_due_on"], by_id.get(named)))
        return made

    def meeting_fields(self) -> list[forms.BoundField]:
        """The fields of the meeting itself: time, place, who came, why one was absent, minutes."""
        return [self[name] for name in ("held_at", "place", *service.ATTENDEE_LABELS, "absence_reason", "minutes")]

    def agenda_rows(self) -> list[dict[str, Any]]:
        """The open issues to tick, each with its checkbox, outcome field and grid."""
        ticked = set(self["agenda"].value() or [])
        return [{"issue": i, "checked": str(i.pk) in ticked, "outcome": self[f"outcome_{i.pk}"],
                 "state": ISSUE_LABELS[IssueState(i.state)]} for i in self.open_issues]

    def decision_rows(self) -> list[list[forms.BoundField]]:
        """The decision rows' fields, row by row."""
        return [[self[f"decision_{n}_{part}"] for part in ("description", "owner", "due_on", "issue")]
                for n in range(1, DECISION_ROWS + 1)]


def _open_issues(community: Region, user: Any) -> Any:
    return (scope_queryset(ResidentIssue.objects.select_related("region", "category"), user)
            .filter(region__path__startswith=community.path, state__in=OPEN_ISSUE_STATES)
            .order_by("region_id", "-reported_at")[:AGENDA_CHOICES])


class DoneForm(forms.Form):
    """A decision completed: which, on what day, what was done."""

    agreed_action = forms.ChoiceField(label="议定事项")
    done_on = params.DayField(label="完成日期")
    done_note = forms.CharField(label="完成情况", max_length=255, required=False)

    def __init__(self, *args: Any, open_actions: list[AgreedAction], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_actions = {str(a.pk): a for a in open_actions}
        self.fields["agreed_action"].choices = [(pk, a.description)  # type: ignore[attr-defined]
                                                for pk, a in self.open_actions.items()]


# --- Pages ---------------------------------------------------------------------------------------------------


@route(get=P.COMMUNITY_READ)
def meeting_list(request: HttpRequest) -> HttpResponse:
    """The 四方联动 meetings of the user's region, newest first, by community, month or days, open decisions."""
    chosen, raw = meeting_filter(request.GET)
    rows = with_counts(filter_meetings(meetings_in_scope(request.user), chosen))
    page = Paginator(rows, PAGE_SIZE).get_page(params.query(request, "page", params.Page()))
    user = request.user
    return render(request, "community/meeting_list.html", {
        "page": page, "chosen": raw, "query": _query(raw), "communities": _communities(user),
        "rows": [{"meeting": m, "quorum": rules.quorum_note(_people(m), m.absence_reason)} for m in page.object_list],
        "overdue": service.overdue_actions(user, timezone.localdate()).count(),
    })


def _people(meeting: CoordinationMeeting) -> dict[str, str]:
    return {key: getattr(meeting, key) for key in rules.QUORUM_PARTIES}


def _record(form: MeetingForm, community: Region, user: Any) -> CoordinationMeeting:
    data = form.cleaned_data
    agenda, outcomes = form.agenda_and_outcomes()
    people = {key: data[key] for key in (*service.ATTENDEE_LABELS, "absence_reason")}
    return service.record_meeting(community, held_at=data["held_at"], place=data["place"], minutes=data["minutes"],
                                  agenda=agenda, outcomes=outcomes, decisions=form.decisions(agenda), actor=user,
                                  now=timezone.now(), **people)


@route(get=P.COMMUNITY_READ, post=P.COMMUNITY_MEETING_RECORD)
def meeting_new(request: HttpRequest) -> HttpResponse:
    """Record a meeting: choose the community (``?community=``), tick or enter agenda issues, add decisions."""
    user = request.user
    communities = _communities(user)
    code = (request.POST.get("community") if request.method == "POST" else
            params.query(request, "community", params.RegionCode(default="")))
    community = next((c for c in communities if c.code == code), communities[0] if len(communities) == 1 else None)
    form = MeetingForm(request.POST or None, communities=communities, community=community, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if community is None:
            messages.error(request, "请选择您管辖范围内的社区")
        elif form.is_valid():
            try:
                meeting = _record(form, community, user)
            except Refusal as error:
                refuse(form, error)
            else:
                messages.success(request, "四方联动会议已记录。")
                return redirect("community:meeting_detail", meeting_id=meeting.pk)
    return render(request, "community/meeting_form.html", {
        "form": form, "community": community, "communities": communities,
        "may_record": community is not None and service.may_convene(user, community)}, status=status)


@route(get=P.COMMUNITY_READ, post=P.COMMUNITY_MEETING_RECORD)
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """A meeting: who came, quorum, the agenda with outcomes, the decisions; POST completes a decision."""
    user, now = request.user, timezone.now()
    meeting = scoped_or_404(CoordinationMeeting.objects.select_related("region", "recorded_by"), user, pk=meeting_id)
    actions = list(meeting.actions.select_related("issue").order_by("due_on", "pk"))
    open_actions = [a for a in actions if a.done_on is None]
    may_record = service.may_convene(user, meeting.region)
    available = ({"complete": DoneForm(request.POST or None, open_actions=open_actions)}
                 if may_record and open_actions else {})
    status = run_action(request, available, "complete" if request.method == "POST" else "",
                        lambda form: _complete(form, user, now), refused="您不能完成该会议的议定事项",
                        refused_status=400, flash_errors=True)
    if status is None:
        return redirect("community:meeting_detail", meeting_id=meeting.pk)
    today = timezone.localdate()
    return render(request, "community/meeting_detail.html", {
        "meeting": meeting, "quorum": rules.quorum_note(_people(meeting), meeting.absence_reason),
        "missing": rules.missing_parties(_people(meeting)),
        "agenda": meeting.agenda_items.select_related("issue__region", "issue__category").order_by("pk"),
        "actions": [{"action": a, "overdue": rules.is_overdue(a.due_on, a.done_on, today)} for a in actions],
        "may_record": may_record, "form": available.get("complete"), "today": today,
    }, status=status)


def _complete(form: forms.Form, user: Any, now: Any) -> str:
    if not isinstance(form, DoneForm):
        raise TypeError("the complete action takes a DoneForm")
    data = form.cleaned_data
    service.complete_action(form.open_actions[data["agreed_action"]], data["done_on"], data["done_note"], actor=user,
                            now=now)
    return "议定事项已完成。"


@route(get=P.COMMUNITY_READ)
def meeting_actions(request: HttpRequest) -> HttpResponse:
    """The decisions of the region's meetings, open (default), overdue, done or all; by community; paged."""
    chosen = params.parse(request.GET, {"status": params.Choice(ActionStatus, default=ActionStatus.OPEN.value),
                                        "community": params.RegionCode(default="")})
    today = timezone.localdate()
    rows = filter_actions(service.actions_in_scope(request.user), ActionStatus(chosen["status"]), today,
                          chosen["community"])
    page = Paginator(rows, PAGE_SIZE).get_page(params.query(request, "page", params.Page()))
    return render(request, "community/meeting_actions.html", {
        "page": page, "chosen": chosen, "query": _query(chosen), "communities": _communities(request.user),
        "statuses": [(s.value, label) for s, label in ACTION_STATUS_LABELS.items()],
        "rows": [{"action": a, "overdue": rules.is_overdue(a.due_on, a.done_on, today)} for a in page.object_list],
    })


@route(get=P.COMMUNITY_READ)
def meetings_export(request: HttpRequest) -> HttpResponse:
    """The meetings of the list's filter as an XLSX register (会议 and 议定事项 sheets)."""
    chosen, _ = meeting_filter(request.GET)
    meetings = filter_meetings(meetings_in_scope(request.user), chosen).prefetch_related(
        "actions__issue", "agenda_items__issue")
    today = timezone.localdate()
    response = HttpResponse(meetings_workbook(meetings, today), content_type=XLSX)
    name = f"四方联动会议台账-{today:%Y-%m-%d}.xlsx"
    response["Content-Disposition"] = (f'attachment; filename="meetings-{today:%Y-%m-%d}.xlsx"; '
                                       f"filename*=UTF-8''{quote(name)}")
    return response


urlpatterns = [
    path("meetings/", meeting_list, name="meetings"),
    path("meetings/new/", meeting_new, name="meeting_new"),
    path("meetings/actions/", meeting_actions, name="meeting_actions"),
    path("meetings/export.xlsx", meetings_export, name="meetings_export"),
    path("meetings/<id:meeting_id>/", meeting_detail, name="meeting_detail"),
]
