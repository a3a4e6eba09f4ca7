"""Booking service rooms: stored and audited, overlaps and office rooms refused, usage days in Shanghai dates."""

from __future__ import annotations

from datetime import date, time

import pytest

from changji.community.models import Room, RoomBooking, RoomKind
from changji.community.venues.bookings import BookingError, book, usage_days
from changji.core.models import AuditEntry


def test_a_booking_is_stored_and_audited(community_world, rooms):
    user = community_world.users.east
    booking = book(rooms["art"], date(2026, 5, 4), time(9), time(11), "书法班", 12, user)
    assert (booking.room, booking.attendance, booking.booked_by) == (rooms["art"], 12, user)
    entry = AuditEntry.objects.get(action="community.room.booked")
    assert entry.region_id == community_world.east.code and entry.detail["purpose"] == "书法班"


def test_an_overlapping_booking_of_the_same_room_is_refused(community_world, rooms):
    user = community_world.users.east
    book(rooms["art"], date(2026, 5, 4), time(9), time(11), "书法班", 12, user)
    with pytest.raises(BookingError, match="09:00–11:00已有预约（书法班）") as caught:
        book(rooms["art"], date(2026, 5, 4), time(10, 30), time(12), "国画班", 8, user)
    assert caught.value.field == "starts_at"
    with pytest.raises(BookingError):
        book(rooms["art"], date(2026, 5, 4), time(8), time(12), "包住整段", 8, user)
    # Back to back, another day or another room: fine.
    book(rooms["art"], date(2026, 5, 4), time(11), time(12), "国画班", 8, user)
    book(rooms["art"], date(2026, 5, 5), time(10), time(11), "国画班", 8, user)
    book(rooms["dance"], date(2026, 5, 4), time(10), time(11), "广场舞", 20, user)
    assert RoomBooking.objects.count() == 4


def test_office_rooms_and_bad_times_are_refused(community_world, rooms):
    user = community_world.users.east
    with pytest.raises(BookingError, match="办公用房") as caught:
        book(rooms["office"], date(2026, 5, 4), time(9), time(10), "开会", 5, user)
    assert caught.value.field == "room"
    with pytest.raises(BookingError, match="结束时间应晚于开始时间"):
        book(rooms["art"], date(2026, 5, 4), time(10), time(10), "书法班", 5, user)
    with pytest.raises(BookingError, match="用途"):
        book(rooms["art"], date(2026, 5, 4), time(9), time(10), "  ", 5, user)
    assert not RoomBooking.objects.exists() and not AuditEntry.objects.filter(action="community.room.booked")


def test_usage_days_are_distinct_shanghai_dates_of_the_year(community_world, rooms):
    """Two bookings on one day count once; a booking late on 31 December (local) counts in that year."""
    user = community_world.users.east
    book(rooms["art"], date(2026, 3, 1), time(9), time(10), "书法班", 5, user)
    book(rooms["art"], date(2026, 3, 1), time(15), time(16), "国画班", 5, user)
    book(rooms["art"], date(2026, 12, 31), time(23), time(23, 30), "跨年书写春联", 5, user)
    book(rooms["art"], date(2027, 1, 1), time(0, 30), time(1), "新年第一课", 5, user)
    book(rooms["dance"], date(2025, 12, 31), time(20), time(22), "迎新舞会", 30, user)
    service = Room.objects.filter(kind=RoomKind.SERVICE)
    assert usage_days(service, 2026) == {rooms["art"].pk: 2}
    assert usage_days(service, 2027) == {rooms["art"].pk: 1}
    assert usage_days(service, 2025) == {rooms["dance"].pk: 1}
