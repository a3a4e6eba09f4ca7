"""The cut-off rules of a connection: frame floods, and garbage over the whole connection."""

from __future__ import annotations

from changji.water.gateway.config import GatewayConfig
from changji.water.gateway.guard import TrafficGuard

CONFIG = GatewayConfig(garbage_limit_bytes=4096, garbage_window_s=60.0, max_frames_per_s=50.0)


def test_a_flood_is_more_than_the_frame_rate_over_ten_seconds():
    guard = TrafficGuard(CONFIG, 0.0)
    assert all(guard.observe(t * 0.1, 5, 250, 0) == "" for t in range(1000))  # 50 frames/s for 100 s
    assert guard.observe(100.0, 495, 25_000, 0) == ""  # a burst of 10 s worth after a steady stream
    assert guard.observe(100.0, 10, 500, 0).startswith("flood")
    assert TrafficGuard(CONFIG, 0.0).observe(0.0, 501, 25_050, 0).startswith("flood")


def test_garbage_alone_is_cut_off_at_the_limit():
    guard = TrafficGuard(CONFIG, 0.0)
    assert guard.observe(1.0, 0, 0, 4095) == ""
    assert guard.observe(2.0, 0, 0, 1) != ""


def test_a_valid_frame_followed_by_garbage_is_cut_off():
    guard = TrafficGuard(CONFIG, 0.0)
    assert guard.observe(0.0, 1, 60, 0) == ""
    verdicts = [guard.observe(1.0 + i * 0.01, 0, 0, 1024) for i in range(10)]
    assert verdicts[:3] == ["", "", ""] and verdicts[3].startswith("4096 recent bytes of garbage against 60")


def test_a_healthy_terminal_with_occasional_noise_is_never_cut_off():
    """Reports every 5 minutes for a week, each with a stray byte and now and then a burst of line noise."""
    guard = TrafficGuard(CONFIG, 0.0)
    for n in range(7 * 288):
        noise = 3000 if n % 97 == 0 else 1
        assert guard.observe(n * 300.0, 1, 120, noise) == ""


def test_old_valid_traffic_buys_no_garbage_later():
    guard = TrafficGuard(CONFIG, 0.0)
    assert guard.observe(0.0, 400, 1_000_000, 0) == ""
    assert guard.observe(3600.0, 0, 0, 8192) != ""  # an hour later the megabyte counts for nothing


def test_a_slow_garbage_trickle_is_cut_off_once_it_adds_up():
    guard = TrafficGuard(CONFIG, 0.0)
    verdicts = [guard.observe(t * 10.0, 0, 0, 600) for t in range(1, 30)]  # 3.6 KiB a minute
    assert "" in verdicts[:5] and verdicts[-1] != ""
