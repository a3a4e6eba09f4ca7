"""Quota_action when the county switches automatic stops off (QuotaPolicy.stop_at_full = False)."""
from datetime import UTC, datetime

from changji.water.quotas import policy as quota

NOW = datetime(2026, 7, 1, 4, tzinfo=UTC)


def test_a_pump_stopped_by_the_quota_is_released_when_the_policy_no_longer_stops():
    over = quota.quota_status(1000, 1200)
    warn_only = quota.StopPolicy(auto_stop=False)
    # A pending stop is withdrawn under the warn-only policy ...
    assert quota.quota_action(over, warn_only, quota.PumpState(False, None, NOW), NOW) == "cancel"
    # ... but a pump already stopped stays locked for the rest of the year, by a policy that stops nothing.
    assert quota.quota_action(over, warn_only, quota.PumpState(True), NOW) == "restore"  # FAILS: None
