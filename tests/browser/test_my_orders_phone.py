"""A calibration order closed on a phone-sized screen (chromium's mobile emulation), then reviewed.

The worker opens 我的工单 on a 360 × 740 touch screen with the position granted: the page sorts by distance, signs
in on site with the phone's position, queues a real JPEG and uploads it, and completes the calibration with the
registers, the certificate and the error; no page is wider than the screen. The operator reviews it on the
desktop and the well page shows the meter's calibration.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.browser.conftest import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]

NO_OVERFLOW = "document.scrollingElement.scrollWidth <= 360"


@pytest.fixture
def calibration_order(terminal, make_user):
    from changji.core import localtime
    from changji.water.models import Meter
    from changji.water.orders import service

    well = terminal.well
    installed = datetime(2024, 1, 1, tzinfo=UTC)
    meter = Meter.objects.create(well=well, kind="electromagnetic", serial="EM-PHONE", installed_at=installed,
                                 last_calibrated_on=datetime(2025, 12, 1).date())
    Meter.objects.create(well=well, kind="electricity", serial="E-PHONE", installed_at=installed)
    operator = make_user("htb-dispatch", "652323")
    worker = make_user("htb-phone", "652323", role="maintenance_worker")
    order = service.create(well=well, kind="calibration", by=operator, due_on=localtime.today(), meter=meter,
                           description="电磁流量计年度检定")
    return service.transition(order, "assigned", operator, assignee=worker), meter


def test_a_calibration_order_is_closed_on_a_phone_and_the_meter_shows_it(browser, live_server, calibration_order,
                                                                         tmp_path, sign_in):
    from tests.water.orders.conftest import jpeg

    order, meter = calibration_order
    phone = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740}, is_mobile=True,
                                has_touch=True, device_scale_factor=2, locale="zh-CN",
                                geolocation={"latitude": 44.3005, "longitude": 86.9004}, permissions=["geolocation"])
    page = phone.new_page()
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda error: print("pageerror", error))
    try:
        page.goto("/accounts/login/?next=/water/my-orders/")
        page.fill("input[name=username]", "htb-phone")
        page.fill("input[name=password]", PASSWORD)
        page.click("form.login button[type=submit]")
        page.wait_for_url("**/water/my-orders/?lat=*")  # the page asked for the position and sorted by it
        card = page.locator(f'.order-card[data-order="{order.pk}"]')
        assert "米" in card.inner_text() and "检定校准" in card.inner_text()
        assert "uri.amap.com/marker?position=86.9,44.3" in card.locator("a.nav-amap").get_attribute("href")
        assert page.evaluate(NO_OVERFLOW)

        card.locator("a.open").tap()
        page.wait_for_selector("#form-on_site[data-located='1']")
        assert page.evaluate(NO_OVERFLOW)
        page.locator("#form-on_site button[type=submit]").tap()
        page.wait_for_selector("#form-done")
        assert page.evaluate(NO_OVERFLOW)

        photo = tmp_path / "meter.jpg"
        photo.write_bytes(jpeg(taken="2026:12:05 10:15:00", size=(640, 480)))
        page.set_input_files("#photo-input", str(photo))
        page.wait_for_selector("#photo-queue[data-sent='1'][data-state='idle']", state="attached")

        page.fill("#form-done textarea[name=done-result]", "检定合格，铅封完好")
        for name, value in (("flow_before_m3", "15230.5"), ("flow_after_m3", "15233.0"),
                            ("energy_before_kwh", "8201.2"), ("energy_after_kwh", "8202.0"),
                            ("certificate_number", "CJJD-2026-1205"), ("error_pct", "-0.4")):
            page.fill(f"#form-done input[name=done-{name}]", value)
        assert page.evaluate(NO_OVERFLOW)
        page.locator("#form-done button[type=submit]").tap()
        page.wait_for_selector("text=工单已完成")
        assert "已完成" in page.inner_text(".order-state")
        assert page.evaluate(NO_OVERFLOW)
    finally:
        phone.close()

    from changji.water.models import Meter, WorkOrder, WorkOrderPhoto

    order = WorkOrder.objects.get(pk=order.pk)
    assert (order.state, order.certificate_number, order.error_pct) == ("done", "CJJD-2026-1205", -0.4)
    assert order.on_site_latitude == pytest.approx(44.3005) and order.on_site_longitude == pytest.approx(86.9004)
    stored = WorkOrderPhoto.objects.get(order=order)
    assert stored.taken_at == datetime(2026, 12, 5, 2, 15, tzinfo=UTC)
    assert stored.position_source == "browser" and stored.latitude == pytest.approx(44.3005)

    desk = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = desk.new_page()
    try:
        sign_in(page, "htb-dispatch", f"/water/work-orders/{order.pk}/")
        page.click("#form-review button[type=submit]")
        page.wait_for_selector("text=工单已审核通过")
        page.goto(f"/water/wells/{order.well_id}/")
        cell = page.inner_text(f'tr.meter[data-serial="{meter.serial}"] td.calibration')
        assert "CJJD-2026-1205" in cell and "-0.4" in cell
    finally:
        desk.close()
    from changji.core.localtime import local_day

    meter = Meter.objects.get(pk=meter.pk)
    assert meter.last_certificate_number == "CJJD-2026-1205"
    assert meter.last_calibrated_on == local_day(order.done_at)
