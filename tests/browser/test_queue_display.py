"""The hall in real browsers: a visitor takes a number at the kiosk, the clerk calls it, the screen shows it.

The called-number screen is left open the whole time: it must show the number called without a reload
(``services/queue_display.js`` polls ``display.json``).
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


def test_a_number_taken_at_the_kiosk_and_called_at_the_console_appears_on_the_screen(contexts, login, shot):
    from changji.core.models import Region, Role
    from changji.services.models import QueueTicket, ServiceWindow

    window = ServiceWindow.objects.create(region=Region.objects.get(code="652302"), number=3, name="综合受理三窗",
                                          service_types=["transport", "consultation"])
    screen, visitor, clerk_page = contexts(), contexts(), contexts()

    screen.goto("/services/queue/display/?region=652302")
    assert screen.inner_text("#display-windows tr[data-window='3'] [data-role=number]") == "—"
    marker = screen.evaluate("() => { window.__notReloaded = true; return true; }")
    assert marker

    visitor.goto("/services/queue/take/")
    visitor.click("#take-form button[value=transport]")
    visitor.wait_for_selector("#ticket-number")
    assert visitor.inner_text("#ticket-number") == "E001"
    assert "您前面还有 0 人等候" in visitor.inner_text("#ticket-ahead")
    shot(visitor, "queue-ticket")

    clerk = login(clerk_page, "hall-clerk", "652302", Role.WINDOW_CLERK, "/services/queue/console/")
    window.clerks.add(clerk)
    clerk_page.goto("/services/queue/console/")
    assert clerk_page.inner_text("#live-waiting") == "1"
    clerk_page.click("#form-call button[type=submit]")
    clerk_page.wait_for_selector("#current-number")
    assert clerk_page.inner_text("#current-number") == "E001"
    assert QueueTicket.objects.get().state == "called"

    screen.wait_for_function(
        "() => document.querySelector(\"#display-windows tr[data-window='3'] [data-role=number]\")"
        ".textContent === 'E001'", timeout=15_000)
    assert screen.evaluate("() => window.__notReloaded === true")  # the same page: redrawn, not reloaded
    assert "请 E001 号到 3 号窗口" in screen.inner_text("#display-recent")
    assert screen.inner_text("#display-waiting") == "0"
    shot(screen, "queue-display")
