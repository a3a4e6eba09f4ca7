"""阵地: the rooms of each community in scope with the 20/80/50/60 targets, and a room's bookings and booking form."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone

from changji.community.dashboard import SHANGHAI
from changji.community.models import Room, RoomBooking, RoomKind
from changji.community.venues.bookings import book, usage_days
from changji.community.venues.figures import venue_targets_for
from changji.community.web.common import scoped_or_404
from changji.community.web.dashboard import selected_year
from changji.core import params
from changji.core.access import P
from changji.core.errors import Refusal
from changji.core.guards import route
from changji.core.models import Region, RegionLevel
from changji.core.scope import scope_queryset
from changji.core.web_forms import refuse

log = logging.getLogger(__name__)


class BookingForm(forms.Form):
    day = params.DayField(label="日期")
    starts_at = forms.TimeField(label="开始", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    ends_at = forms.TimeField(label="结束", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    purpose = forms.CharField(label="用途", max_length=128)
    attendance = forms.IntegerField(label="参加人数", min_value=0, max_value=100_000, initial=0)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns (django-stubs allows an override's None)
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "结束时间应晚于开始时间")
        return data


def _coverage_url() -> str | None:
    try:
        return reverse("community:coverage")
    except NoReverseMatch:
        return None


@route(get=P.COMMUNITY_READ)
def venues(request: HttpRequest) -> HttpResponse:
    """The communities in scope: rooms by kind with areas, usage days of function rooms, the four targets."""
    now = timezone.now()
    year = selected_year(request, now)
    context: dict[str, Any] = {"year": year, "coverage_url": _coverage_url()}
    rooms = list(scope_queryset(Room.objects.all(), request.user).order_by("region_id", "kind", "name"))
    with_rooms = {room.region_id for room in rooms}
    # Communities of the grid system: those with grids or rooms (not every village of the region tree).
    communities = [c for c in scope_queryset(Region.objects.filter(level=RegionLevel.VILLAGE), request.user)
                   .annotate(grids=Count("children")).order_by("code") if c.grids or c.code in with_rooms]
    days = usage_days(scope_queryset(Room.objects.filter(kind=RoomKind.SERVICE), request.user), year)
    by_community: dict[str, list[Room]] = defaultdict(list)
    for room in rooms:
        # The page's figure for the template on the row it shows, not a model field.
        room.usage_days = days.get(room.pk, 0) if room.kind == RoomKind.SERVICE else None  # type: ignore[attr-defined]
        by_community[room.region_id].append(room)
    targets = venue_targets_for(communities, year, now.astimezone(SHANGHAI).date())
    context["communities"] = [{"region": c, "rooms": by_community[c.code], "targets": targets[c.code]}
                              for c in communities]
    return render(request, "community/venues.html", context)


@route(get=P.COMMUNITY_READ, post=P.COMMUNITY_VENUE_BOOK)
def venue_room(request: HttpRequest, pk: int) -> HttpResponse:
    """A room: its bookings in the year (the calendar list) and, for a service room, the booking form."""
    room = scoped_or_404(Room.objects.select_related("region"), request.user, pk=pk)
    now = timezone.now()
    year = selected_year(request, now)
    status = 200
    form = BookingForm(initial={"day": now.astimezone(SHANGHAI).date()})
    if request.method == "POST":
        form = BookingForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                booking = book(room, data["day"], data["starts_at"], data["ends_at"], data["purpose"],
                               data["attendance"], request.user)
            except Refusal as error:
                refuse(form, error)
            else:
                messages.success(request, f"已预约{room.name}：{booking.day:%Y-%m-%d} "
                                          f"{booking.starts_at:%H:%M}–{booking.ends_at:%H:%M}")
                return redirect(f"{reverse('community:venue_room', args=[room.pk])}?year={booking.day.year}")
        log.info("booking of room %s refused: %s", room.pk, form.errors.get_json_data())
        status = 400
    bookings = list(RoomBooking.objects.filter(room=room, day__gte=date(year, 1, 1), day__lte=date(year, 12, 31))
                    .select_related("booked_by").order_by("day", "starts_at"))
    return render(request, "community/venue_room.html", {
        "room": room, "year": year, "form": form, "bookings": bookings,
        "usage_days": len({b.day for b in bookings}), "bookable": room.kind == RoomKind.SERVICE,
    }, status=status)


urlpatterns = [
    path("venues/", venues, name="venues"),
    path("venues/rooms/<id:pk>/", venue_room, name="venue_room"),
]
