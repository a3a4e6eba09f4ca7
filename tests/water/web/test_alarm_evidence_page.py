"""The alarm page shows the evidence as labelled Chinese fields with local times, never the stored dict."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_alarm_page_labels_the_evidence(client, operator, hutubi_well, make_alarm):
    alarm = make_alarm(hutubi_well, kind="register_reversal", severity="major")
    alarm.evidence = {"steps": [{"field": "volume_m3", "before": 394190.2, "after": 393790.2,
                                 "from": "2026-11-29T04:00:00+00:00", "to": "2026-11-29T05:05:00+00:00",
                                 "reading_id": 7}],
                      "observed_at": "2026-11-29T05:05:00+00:00", "pump_test": {"ok": True}}
    alarm.save()
    client.force_login(operator)
    page = client.get(reverse("water:alarm", args=[alarm.pk])).content.decode()
    assert "读数变化" in page and "累计水量（m³）" in page and "394,190.2 → 393,790.2" in page
    assert "2026-11-29 12:00:00 至 2026-11-29 13:05:00" in page  # Asia/Shanghai, not UTC
    assert "观测时间" in page and "2026-11-29 13:05:00" in page
    assert "pump_test" in page and "ok：是" in page  # an unknown key keeps its name, its value is formatted
    assert "{&#x27;" not in page and "{'" not in page and "+00:00" not in page
