"""Service centre latency (一件事一次办) with a year of history: dispatch, inbox, window and case pages, statistics.

Target: p95 under 200 ms for each figure (server time).

Setup: a fresh SQLite database (temporary CHANGJI_DATA_DIR, ``changji migrate``) with the demo catalogue of 阜康市
(652302), topped up to ``--bundles`` current bundles (default 89) with synthetic ones (drafts of the catalogue's
items in every category, published through ``catalogue.publish``) when it has fewer, and 100,000 historical
cases of the last 365 days with their sub-cases, bulk-inserted (no events, audit
entries or materials for them): most issued and rated, some refused at the window, results waiting, and the last
weeks' cases still open (pending or claimed, some past their due day). Then:

* dispatch — ``cases.accept`` of a freshly submitted case (submitted through ``cases.submit``, materials and all;
  only the accept call is timed);
* pages through Django's test client in-process (the whole stack but the socket): the department inbox as a
  reviewer of the market regulator (市场监督管理局, the department with the most sub-cases), the window queue, a
  case page, the walk-in intake page and one bundle's intake form as a window clerk; the public catalogue
  ``/services/`` (and a search ``?q=``) anonymously. A page whose URL does not resolve yet is reported as "page not
  available";
* ``statistics.case_statistics`` for the whole region over the year, and ``to_xlsx`` of its result.

Run: .venv/bin/python benchmarks/services.py [--cases 100000] [--bundles 89] [--requests 30]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import percentile  # noqa: E402
from machine import report  # noqa: E402

REGION = "652302"
USCC = "91350100M000100Y43"
ANSWERS = {"business_name": "某某商贸有限公司", "address": "阜康市天池街 1 号", "legal_person": "张某",
           "registered_capital": 50, "food_category": "热食类", "sign_size": "3×1", "vehicles": 4,
           "qualification": "二级", "outdoor_sign": True, "sells_food": True, "has_trucks": True}


def prepare_database() -> None:
    """A fresh SQLite database in a temporary data directory, migrated; Django set up on it."""
    data_dir = tempfile.mkdtemp(prefix="changji-bench-services-")
    os.environ["CHANGJI_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "changji.settings"
    os.environ.pop("DATABASE_URL", None)
    subprocess.run([str(Path(sys.executable).with_name("changji")), "migrate", "-v0"], env={**os.environ},
                   check=True)
    import django

    django.setup()


def time_catalogue_import() -> tuple[float, float]:
    """Seconds to import the demo catalogue workbook (89 bundles) into the fresh database, then again (no change)."""
    from changji.services import catalogue_io
    from changji.services.demo_catalogue import demo_workbook

    content, seconds = demo_workbook(), []
    for _ in range(2):
        started = time.perf_counter()
        result = catalogue_io.import_catalogue(content, None)
        seconds.append(time.perf_counter() - started)
        assert not result.errors, result.errors[:3]
    return seconds[0], seconds[1]


def case_state(rng: random.Random, age: int) -> str:
    """A case's state for its age in days, from one roll: recent cases still open, most older ones issued or rated."""
    from changji.services.workflow import CaseState

    roll = rng.random()
    if age <= 2 and roll < 0.5:
        return rng.choice([CaseState.SUBMITTED, CaseState.SUBMITTED, CaseState.CORRECTION])
    if roll < 0.03:
        return CaseState.REFUSED
    if age <= 25 and roll < 0.6:
        return CaseState.ACCEPTED
    if age <= 30 and roll < 0.8:
        return CaseState.RESULTS_READY
    if roll < 0.3:
        return CaseState.ISSUED
    return CaseState.RATED


def fill(count: int, today: date, reviewer_id: int) -> None:
    """``count`` cases spread over the 365 days before ``today``, with sub-cases in realistic states."""
    from changji.services import bundles, cases, workdays
    from changji.services.models import Bundle, Case, SubCase
    from changji.services.workflow import CaseState, SubCaseState

    rng = random.Random(2026)
    add_days = lru_cache(maxsize=None)(workdays.add_working_days)
    catalogue = []
    for bundle in Bundle.objects.filter(region_id=REGION).select_related("lead_department"):
        items = {link.item.code: link.item for link in bundle.bundle_items.select_related("item")}
        catalogue.append((bundle, cases.item_specs(bundle), items))
    per_day: dict[date, int] = {}
    case_rows, plans = [], []
    for _ in range(count):
        bundle, specs, items = rng.choice(catalogue)
        age = int(rng.triangular(0, 365, 0))  # more recent cases than old ones
        day = today - timedelta(days=age)
        submitted_at = datetime(day.year, day.month, day.day, rng.randint(0, 9), rng.randint(0, 59), tzinfo=UTC)
        per_day[day] = per_day.get(day, 0) + 1
        answers = {**ANSWERS, "outdoor_sign": rng.random() < 0.4, "sells_food": rng.random() < 0.7,
                   "has_trucks": rng.random() < 0.5}
        state = case_state(rng, age)
        accepted_on = day if state not in (CaseState.SUBMITTED, CaseState.CORRECTION, CaseState.REFUSED) else None
        case_rows.append(Case(
            receipt_number=f"{REGION}{day:%Y%m%d}{per_day[day]:05d}", query_code=f"{rng.randrange(10**6):06d}",
            bundle=bundle, region_id=REGION, applicant_kind="enterprise", applicant_name=f"企业{len(case_rows)}",
            applicant_identifier=USCC, channel="online" if rng.random() < 0.62 else "window", form_data=answers,
            state=state, submitted_at=submitted_at, accepted_on=accepted_on,
            suspended_days=rng.choice([0] * 8 + [1, 3]) if accepted_on else 0,
            outcome="granted" if state in (CaseState.RESULTS_READY, CaseState.ISSUED, CaseState.RATED) else "",
            issued_at=submitted_at + timedelta(days=12) if state in (CaseState.ISSUED, CaseState.RATED) else None,
            handed_to="本人" if state in (CaseState.ISSUED, CaseState.RATED) else "",
            rating=rng.choices([5, 4, 3, 2, 1], [70, 18, 7, 3, 2])[0] if state == CaseState.RATED else None,
        ))
        codes = [s.code for s in bundles.applicable_items(specs, answers)] if accepted_on else []
        plans.append([items[code] for code in codes])
    Case.objects.bulk_create(case_rows, batch_size=2000)
    sub_rows = []
    for case, plan in zip(case_rows, plans, strict=True):
        for item in plan:
            accepted = case.accepted_on
            due_on = add_days(accepted, item.promised_limit_days)
            sub = SubCase(case=case, item=item, department_id=item.department_id, due_on=due_on,
                          legal_due_on=add_days(accepted, item.statutory_limit_days))
            if case.state == CaseState.ACCEPTED and rng.random() < 0.6:
                sub.state = rng.choice([SubCaseState.PENDING, SubCaseState.CLAIMED])
                if sub.state == SubCaseState.CLAIMED:
                    sub.assignee_id = reviewer_id if item.department.code.endswith("SCJG") else None
                    sub.claimed_at = datetime.combine(accepted, datetime.min.time(), UTC) + timedelta(hours=3)
            else:
                late = rng.random() < 0.06
                taken = item.promised_limit_days + rng.randint(1, 4) if late else \
                    rng.randint(0, item.promised_limit_days)
                decided = add_days(accepted, taken)
                sub.decided_at = datetime(decided.year, decided.month, decided.day, 7, 0, tzinfo=UTC)
                if item.commitment_allowed and rng.random() < 0.3:  # 承诺即准入, verified within about a month
                    sub.verification_due_on = add_days(decided, item.verification_days)
                    sub.state = SubCaseState.COMMITTED if sub.verification_due_on >= today else \
                        rng.choices([SubCaseState.CONFIRMED, SubCaseState.RECTIFY], [95, 5])[0]
                else:
                    sub.state = SubCaseState.REFUSED if rng.random() < 0.02 else SubCaseState.APPROVED
                sub.opinion = "符合条件"
                sub.licence_number = f"L-{case.receipt_number}-{item.code}"
            sub_rows.append(sub)
    SubCase.objects.bulk_create(sub_rows, batch_size=2000)


def top_up_bundles(target: int, by) -> int:
    """Publish synthetic bundles until ``target`` are current; return how many were added.

    Each is a draft (``demo=True``) of two to four of the catalogue's items in turn, in the five categories, with
    the demo questions its conditions need, published through ``catalogue.publish``: the definition is frozen as
    for a real one.
    """
    from changji.services.catalogue import current_bundles, publish
    from changji.services.demo_catalogue import QUESTIONS
    from changji.services.models import Bundle, BundleCategory, BundleItem, BundleStatus, Department, Item

    have = current_bundles().count()
    items = list(Item.objects.order_by("code"))
    lead = Department.objects.filter(code__startswith=REGION).order_by("code").first()
    categories = BundleCategory.values
    added = 0
    for n in range(max(0, target - have)):
        chosen = [items[(n + k) % len(items)] for k in range(2 + n % 3)]
        chosen = list(dict.fromkeys(chosen))
        draft = Bundle.objects.create(code=f"YJS-B{n:03d}", name=f"基准测试一件事{n:03d}", category=categories[n % 5],
                                      region_id=REGION, lead_department=lead, status=BundleStatus.DRAFT,
                                      online_allowed=n % 4 != 0, demo=True, description="基准测试数据",
                                      questions=[dict(q) for q in QUESTIONS if q["name"] == "outdoor_sign"])
        BundleItem.objects.bulk_create([BundleItem(
            bundle=draft, item=item, position=p,
            condition={"field": "outdoor_sign", "equals": True} if p == len(chosen) - 1 and p > 1 else None)
            for p, item in enumerate(chosen)])
        publish(draft, by)
        added += 1
    return added


def time_page(client, name: str, args: list | None, count: int, query: str = "") -> list[float] | str:
    """Timings of ``count`` GETs of the named URL (with ``query``), or why it could not be measured."""
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse(name, args=args) + (f"?{query}" if query else "")
    except NoReverseMatch:
        return "page not available"
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        try:
            response = client.get(url)
        except Exception as error:  # noqa: BLE001 - a page under construction must not stop the benchmark
            return f"page error: {type(error).__name__}: {error}"[:120]
        timings.append((time.perf_counter() - started) * 1e3)
        if response.status_code != 200:
            return f"page error: HTTP {response.status_code}"
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--bundles", type=int, default=89, help="current bundles to have (synthetic ones added)")
    args = parser.parse_args()
    prepare_database()
    from django.test import Client
    from django.utils import timezone

    from changji.core.models import Region, Role, User
    from changji.services import cases, workdays
    from changji.services import statistics as case_stats
    from changji.services.demo_catalogue import seed_demo_catalogue
    from changji.services.models import Bundle, Case, Department, SubCase

    Region.objects.get_or_create(code=REGION, defaults={"name": "阜康市", "level": 3, "parent_id": "652300"})
    region = Region.objects.get(code=REGION)
    import_s, reimport_s = time_catalogue_import()
    seed_demo_catalogue()
    clerk = User.objects.create_user("bench-clerk", password="bench-Pass-2026", role=Role.WINDOW_CLERK,
                                     region=region)
    reviewer = User.objects.create_user("bench-reviewer", password="bench-Pass-2026",
                                        role=Role.DEPARTMENT_REVIEWER, region=region)
    Department.objects.get(code=f"{REGION}-SCJG").reviewers.add(reviewer)
    today = workdays.today_in_shanghai()
    added_bundles = top_up_bundles(args.bundles, clerk)
    from changji.services.catalogue import current_bundles

    current = current_bundles().count()

    started = time.perf_counter()
    fill(args.cases, today, reviewer.pk)
    fill_s = time.perf_counter() - started
    sub_cases = SubCase.objects.count()

    # (a) dispatch: accept freshly submitted cases (the restaurant bundle: 3 items, 2 departments).
    restaurant = Bundle.objects.get(code="YJS-CY")
    materials = {code: (f"{code}.pdf", f"%PDF {code}".encode()) for code in
                 ("id", "lease", "articles", "layout", "food_safety", "sign_design")}
    dispatch = []
    fresh = []
    for _ in range(args.requests):
        case = cases.submit(restaurant, cases.Applicant("enterprise", "阜康市某餐饮有限公司", USCC), "window",
                            {**ANSWERS, "outdoor_sign": True}, materials, by=clerk)
        started = time.perf_counter()
        cases.accept(case, clerk)
        dispatch.append((time.perf_counter() - started) * 1e3)
        fresh.append(case.pk)

    reviewer_client, clerk_client = Client(), Client()
    reviewer_client.force_login(reviewer)
    clerk_client.force_login(clerk)
    rng = random.Random(7)
    history_ids = list(Case.objects.filter(region_id=REGION).values_list("pk", flat=True))
    pages: dict[str, list[float] | str] = {
        "department inbox /services/inbox/ (reviewer, 市场监督管理局)":
            time_page(reviewer_client, "services:inbox", None, args.requests),
        "window queue /services/window/ (clerk)": time_page(clerk_client, "services:window", None, args.requests),
    }
    case_pages: list[float] | str = []
    for pk in [*rng.sample(history_ids, args.requests - 10), *fresh[:10]]:
        result = time_page(clerk_client, "services:window_case", [pk], 1)
        if isinstance(result, str):
            case_pages = result
            break
        case_pages += result
    pages["case page /services/window/<id>/ (clerk; 20 historical, 10 just accepted)"] = case_pages
    pages["window intake /services/window/intake/ (clerk)"] = time_page(clerk_client, "services:intake", None,
                                                                         args.requests)
    pages["intake form /services/window/intake/<id>/ (clerk, 开办餐馆一件事)"] = time_page(
        clerk_client, "services:intake_form", [restaurant.pk], args.requests)
    public = Client()
    pages[f"public catalogue /services/ ({current} current bundles, anonymous)"] = time_page(
        public, "services:catalogue", None, args.requests)
    pages["public catalogue search /services/?q=餐馆 (anonymous)"] = time_page(
        public, "services:catalogue", None, args.requests, query="q=餐馆")

    first = today - timedelta(days=365)
    stats_ms, stats = [], None
    for _ in range(3):
        started = time.perf_counter()
        stats = case_stats.case_statistics(region, first, today, today=today)
        stats_ms.append((time.perf_counter() - started) * 1e3)
    started = time.perf_counter()
    workbook = case_stats.to_xlsx(stats)
    xlsx_ms = (time.perf_counter() - started) * 1e3

    size = (f"{args.cases:,} cases / {sub_cases:,} sub-cases / {current} current bundles ({added_bundles} synthetic),"
            " sqlite")
    rows = [{"figure": f"dispatch cases.accept (3 items), {size}, p50 / p95",
             "value": f"{statistics.median(dispatch):.0f} / {percentile(dispatch, 0.95):.0f} ms",
             "target": "p95 < 200 ms"}]
    for name, timings in pages.items():
        value = timings if isinstance(timings, str) else \
            f"{statistics.median(timings):.0f} / {percentile(timings, 0.95):.0f} ms"
        rows.append({"figure": f"{name}, p50 / p95", "value": value, "target": "p95 < 200 ms"})
    rows.append({"figure": f"case_statistics, region {REGION}, {first} – {today}, best / worst of 3",
                 "value": f"{min(stats_ms):.0f} / {max(stats_ms):.0f} ms", "target": "—"})
    rows.append({"figure": f"to_xlsx of it ({len(workbook):,} bytes)", "value": f"{xlsx_ms:.0f} ms", "target": "—"})
    rows.append({"figure": "catalogue import (89 bundles), fresh database / again (no change)",
                 "value": f"{import_s:.2f} / {reimport_s:.2f} s", "target": "—"})
    total = stats["total"]
    report("services", rows, {
        "fill_s": fill_s, "cases": args.cases, "bundles": current, "synthetic_bundles": added_bundles,
        "sub_cases": sub_cases, "dispatch_ms": dispatch, "pages_ms": pages,
        "statistics_ms": stats_ms, "xlsx_ms": xlsx_ms, "now": timezone.now().isoformat(),
        "statistics_total": {k: v for k, v in total.items() if not isinstance(v, date)},
    })
    print(f"fill: {fill_s:.1f} s; year total: {total['cases']:,} cases, overdue rate "
          f"{total['overdue_rate']:.1%}, handling {total['handling_days_avg']:.2f} wd, "
          f"rating {total['rating_avg']:.2f}")


if __name__ == "__main__":
    main()
