"""居民会议 pages (凉亭会、恳谈会、议事会): the list, recording a meeting with the issues raised, one meeting.

The issues raised at a meeting are filed into the issue list (``community.visits.residents_meetings``); the
meeting's page lists them with their state and links. Everything goes through ``core.scope``: a meeting
outside the user's region is a 404.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from changji.community.issues.workflow import ISSUE_LABELS, IssueState
from changji.community.models import IssueCategory, ResidentsMeeting, ResidentsMeetingKind
from changji.community.visits.residents_meetings import RaisedIssue, record_residents_meeting
from changji.community.web.common import scoped_or_404
from changji.community.web.visits import MOMENT_FORMATS, PAGE_SIZE
from changji.core import params
from changji.core.access import P
from changji.core.errors import Refusal
from changji.core.guards import route
from changji.core.localtime import days_bounds
from changji.core.models import Region, RegionLevel
from changji.core.scope import scope_queryset
from changji.core.web_forms import field_of, refuse

#: The raised-issue rows the form offers (blank rows are skipped).
RAISED_ROWS = 4


class RegionField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return obj.name


class ResidentsMeetingForm(forms.Form):
    """A residents' meeting and up to ``RAISED_ROWS`` issues raised there (category, what, where, grid)."""

    region = RegionField(label="社区或网格", queryset=Region.objects.none())
    kind = forms.ChoiceField(label="类别", choices=ResidentsMeetingKind.choices)
    held_at = params.MomentField(label="召开时间", input_formats=MOMENT_FORMATS,
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    place = forms.CharField(label="地点", max_length=128)
    host = forms.CharField(label="主持人", max_length=64)
    attendee_count = forms.IntegerField(label="参会人数", min_value=1, max_value=5000)
    attendees = forms.CharField(label="参会人员", max_length=4000, required=False,
                                widget=forms.Textarea(attrs={"rows": 2}))
    topics = forms.CharField(label="议题", max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    outcomes = forms.CharField(label="议定结果", max_length=4000, required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = scope_queryset(Region.objects.filter(level__in=(RegionLevel.VILLAGE, RegionLevel.GRID)), user)
        field_of(self, "region", RegionField).queryset = regions.order_by("code")
        grids = scope_queryset(Region.objects.filter(level=RegionLevel.GRID), user).order_by("code")
        categories = IssueCategory.objects.filter(active=True).order_by("code")
        for n in range(1, RAISED_ROWS + 1):
            self.fields[f"raised_{n}_category"] = forms.ModelChoiceField(
                label=f"诉求 {n} 类别", queryset=categories, required=False)
            self.fields[f"raised_{n}_description"] = forms.CharField(label="诉求内容", max_length=4000,
                                                                     required=False)
            self.fields[f"raised_{n}_address"] = forms.CharField(label="地址", max_length=255, required=False)
            self.fields[f"raised_{n}_grid"] = RegionField(label="所在网格（社区会议填写）", queryset=grids,
                                                          required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns (django-stubs allows an override's None)
        for n in range(1, RAISED_ROWS + 1):
            category, description = data.get(f"raised_{n}_category"), data.get(f"raised_{n}_description")
            if description and not category:
                self.add_error(f"raised_{n}_category", "请选择诉求类别")
            if category and not description:
                self.add_error(f"raised_{n}_description", "请填写诉求内容")
        return data

    def raised(self) -> list[RaisedIssue]:
        """The filled raised-issue rows, in order."""
        data = self.cleaned_data
        return [RaisedIssue(data[f"raised_{n}_category"], data[f"raised_{n}_description"],
                            data[f"raised_{n}_address"], data[f"raised_{n}_grid"])
                for n in range(1, RAISED_ROWS + 1) if data.get(f"raised_{n}_category")]

    def rows(self) -> list[list[forms.BoundField]]:
        """The raised-issue fields row by row, for the template."""
        return [[self[f"raised_{n}_{part}"] for part in ("category", "description", "address", "grid")]
                for n in range(1, RAISED_ROWS + 1)]


def _meetings(request: HttpRequest) -> tuple[models.QuerySet[ResidentsMeeting], dict[str, Any]]:
    rows = scope_queryset(ResidentsMeeting.objects.select_related("region"), request.user)
    chosen = params.parse(request.GET, {"kind": params.Choice(ResidentsMeetingKind, default=""),
                                        "from": params.Day(), "to": params.Day()})
    if chosen["kind"]:
        rows = rows.filter(kind=chosen["kind"])
    if chosen["from"] or chosen["to"]:
        start, end = days_bounds(chosen["from"] or date(2000, 1, 1), chosen["to"] or date(2099, 12, 31))
        rows = rows.filter(held_at__gte=start, held_at__lt=end)
    return rows.annotate(issue_count=models.Count("issues")).order_by("-held_at", "-pk"), chosen


@route(get=P.COMMUNITY_READ)
def residents_meeting_list(request: HttpRequest) -> HttpResponse:
    """Residents' meetings of the user's region, newest first, with the number of issues each filed."""
    rows, chosen = _meetings(request)
    page = Paginator(rows, PAGE_SIZE).get_page(params.query(request, "page", params.Page()))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "community/residents_meetings.html", {
        "page": page, "chosen": chosen, "kinds": ResidentsMeetingKind.choices, "query": query.urlencode()})


@route(get=P.COMMUNITY_MEETING_RECORD, post=P.COMMUNITY_MEETING_RECORD)
def residents_meeting_new(request: HttpRequest) -> HttpResponse:
    """Record a residents' meeting of a community or grid in scope, filing the issues raised there."""
    form = ResidentsMeetingForm(request.POST or None, user=request.user,
                                initial={"held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                meeting = record_residents_meeting(
                    data["region"], data["kind"], data["held_at"], data["place"], data["host"],
                    data["attendee_count"], data["attendees"], data["topics"], data["outcomes"], form.raised(),
                    request.user, timezone.now())
            except Refusal as error:
                refuse(form, error)
            else:
                messages.success(request, f"会议已记录，转入诉求 {meeting.issues.count()} 件。")
                return redirect("community:residents_meeting_detail", residents_meeting_id=meeting.pk)
        return render(request, "community/residents_meeting_form.html", {"form": form}, status=400)
    return render(request, "community/residents_meeting_form.html", {"form": form})


@route(get=P.COMMUNITY_READ)
def residents_meeting_detail(request: HttpRequest, residents_meeting_id: int) -> HttpResponse:
    """One meeting: attendees, topics, outcomes and the issues filed from it with their state."""
    meeting = scoped_or_404(ResidentsMeeting.objects.select_related("region", "recorded_by"), request.user,
                            pk=residents_meeting_id)
    issues = scope_queryset(meeting.issues.select_related("category", "region"), request.user).order_by("pk")
    return render(request, "community/residents_meeting_detail.html", {
        "meeting": meeting,
        "issues": [{"issue": i, "state": ISSUE_LABELS[IssueState(i.state)]} for i in issues]})


urlpatterns = [
    path("residents-meetings/", residents_meeting_list, name="residents_meetings"),
    path("residents-meetings/new/", residents_meeting_new, name="residents_meeting_new"),
    path("residents-meetings/<id:residents_meeting_id>/", residents_meeting_detail,
         name="residents_meeting_detail"),
]
