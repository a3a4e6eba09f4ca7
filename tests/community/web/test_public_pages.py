"""The residents' pages in Chinese and Kazakh.

The language middleware, the switcher, the public wishes and the service circle (no personal data, paging, bad
parameters 400), and the Kazakh catalogue itself.
"""

from __future__ import annotations

import gettext
import html
import re
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language_info

from changji.community.issues.categories import seed_categories
from changji.community.issues.workflow import ISSUE_LABELS, LEVEL_LABELS
from changji.community.models import (
    Compound,
    IssueCategory,
    MicroWish,
    Resident,
    ResidentIssue,
    Room,
    ServicePoint,
)
from changji.community.web.public_labels import ISSUE_STATE_NAMES, LEVEL_NAMES, WISH_STATE_NAMES
from changji.community.wishes.workflow import WISH_LABELS
from changji.core.models import Region

CATALOGUE = Path(django_settings.BASE_DIR) / "community" / "locale" / "kk" / "LC_MESSAGES"
#: Han ideographs, CJK punctuation and full-width forms: none may remain on a Kazakh page outside data values.
HAN = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
#: The language switcher names Chinese in Chinese (an autonym), on every page.
AUTONYM = '<span class="autonym">中文</span>'
KAZAKH = re.compile(r"[\u0600-\u06ff]")

PUBLIC_PAGES = ("community:issue_report_public", "community:issue_status", "community:public_wishes",
                "community:public_service_circle")


@pytest.fixture
def town(community_world):
    """The community world with the default categories, service points, a service room and wishes."""
    w = community_world
    seed_categories()
    now = timezone.now()
    ServicePoint.objects.create(region=w.east, name="东城党群连心点", lon=90.286, lat=43.836,
                                services="代办、理发、助餐")
    ServicePoint.objects.create(region=w.east, name="东城卫生服务站", lon=90.296, lat=43.839, services="量血压")
    ServicePoint.objects.create(region=w.west, name="西城党群连心点", lon=90.274, lat=43.834, services="代办")
    Room.objects.create(region=w.east, name="多功能活动室", kind="service", function="文体活动", area_m2=Decimal(80))
    Room.objects.create(region=w.east, name="主任办公室", kind="office", area_m2=Decimal(20))
    for n, state in enumerate(("published", "claimed", "confirmed", "posted", "rejected")):
        MicroWish.objects.create(region=w.grid_a.region, resident=w.zhang, title=f"心愿{n}号：{state}",
                                 description="腿脚不便，住在1-101", state=state, posted_at=now - timedelta(days=n),
                                 published_at=None if state in ("posted", "rejected") else now - timedelta(days=n))
    return w


@pytest.fixture
def kazakh(client):
    """A browser that chose قازاقشا with the switcher."""
    response = client.post(reverse("set_language"), {"language": "kk", "next": reverse("community:issue_status")})
    assert response.status_code == 302 and response.url == reverse("community:issue_status")
    assert response.cookies["LANGUAGE_CODE"].value == "kk"
    return client


def data_values() -> list[str]:
    """Every text from the database a public page may show: names of places, services, wishes and categories."""
    values = [r.name for r in Region.objects.all()]
    values += [c.name for c in IssueCategory.objects.filter(name_kk="")]
    values += [c.name for c in Compound.objects.all()]
    values += [v for p in ServicePoint.objects.all() for v in (p.name, p.services)]
    values += [v for r in Room.objects.all() for v in (r.name, r.function)]
    values += [w.title for w in MicroWish.objects.all()]
    return [v for v in values if v]


def leftover_han(page: str) -> list[str]:
    """Han characters of ``page`` once the autonym and every (escaped) data value are taken out, with context."""
    text = page.replace(AUTONYM, "")
    for value in sorted(data_values(), key=len, reverse=True):
        text = text.replace(html.escape(value), "")
    return [text[max(0, m.start() - 30):m.end() + 30] for m in HAN.finditer(text)]


# --- languages ------------------------------------------------------------------------------------------------


def test_kazakh_is_the_arabic_script_right_to_left():
    """``kk`` is described as Xinjiang's Kazakh (Arabic script, bidi), not Django's Cyrillic entry."""
    info = get_language_info("kk")
    assert info["bidi"] is True
    assert info["name_local"] == "قازاقشا"
    assert "kk" in django_settings.LANGUAGES_BIDI
    assert [code for code, _ in django_settings.LANGUAGES] == ["zh-hans", "kk"]


def test_public_page_follows_the_cookie(client, town):
    """Without a choice the report page is Chinese; after choosing قازاقشا it is Kazakh, right to left."""
    page = client.get(reverse("community:issue_report_public")).content.decode()
    assert '<html lang="zh-Hans" dir="ltr">' in page and "反映问题（接诉即办）" in page
    client.post(reverse("set_language"), {"language": "kk", "next": "/community/report/"})
    response = client.get(reverse("community:issue_report_public"))
    page = response.content.decode()
    assert '<html lang="kk-Arab" dir="rtl">' in page
    assert "<h1>ماسەلە حابارلاۋ (ٴوتىنىشتى تەز شەشۋ)</h1>" in page
    assert response["Content-Language"] == "kk" and "Cookie" in response["Vary"]


def test_browser_language_is_used_without_a_cookie(client, town):
    """A browser asking for Kazakh gets Kazakh on a resident page; one asking for English gets Chinese."""
    kk = client.get(reverse("community:issue_status"), headers={"accept-language": "kk,zh;q=0.5"})
    assert 'dir="rtl"' in kk.content.decode()
    en = client.get(reverse("community:issue_status"), headers={"accept-language": "en-GB,en"})
    assert 'dir="ltr"' in en.content.decode() and "诉求办理进度" in en.content.decode()


def test_staff_pages_stay_chinese_with_the_kazakh_cookie(kazakh, town):
    """The cookie does not reach staff pages: the issue list of a grid worker is Chinese, left to right."""
    kazakh.force_login(town.users.grid_a)
    response = kazakh.get(reverse("community:issues"))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in page and "接诉即办" in page
    assert not KAZAKH.search(page)
    assert response["Content-Language"] == "zh-hans"
    login = kazakh.get(reverse("login"), headers={"accept-language": "kk"})
    assert not KAZAKH.search(login.content.decode())


def test_switcher_keeps_the_page_and_goes_back_to_chinese(kazakh, town):
    """Every public page has the switcher with ``next`` = the page; choosing 中文 returns to Chinese."""
    url = reverse("community:public_wishes") + "?state=claimed"
    page = kazakh.get(url).content.decode()
    assert 'id="language-switch"' in page and f'name="next" value="{html.escape(url)}"' in page
    back = kazakh.post(reverse("set_language"), {"language": "zh-hans", "next": url})
    assert back.url == url
    assert "微心愿" in kazakh.get(url).content.decode().split("<h1>")[1]


def test_setlang_takes_post_only(client):
    """The switcher's endpoint is declared PUBLIC for POST; a GET is 405."""
    assert client.get(reverse("set_language")).status_code == 405


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_in_kazakh_leave_no_chinese_outside_data(kazakh, town, name):
    """Each public page in Kazakh: every word of the page is Kazakh except names that come from the data."""
    IssueCategory.objects.filter(code="other").update(name_kk="")  # a category without a Kazakh name stays Chinese
    response = kazakh.get(reverse(name))
    assert response.status_code == 200
    assert leftover_han(response.content.decode()) == []


def test_filed_issue_pages_in_kazakh_leave_no_chinese(kazakh, town):
    """The page after reporting and the status page of a filed issue (with its category's Kazakh name)."""
    category = IssueCategory.objects.get(code="sanitation")
    kazakh.post(reverse("community:issue_report_public"), {
        "category": category.pk, "description": "楼道堆满杂物", "lon": "90.285", "lat": "43.835",
        "reporter_phone": "13912345678"})
    done = kazakh.get(reverse("community:issue_reported"))
    assert done.status_code == 200 and leftover_han(done.content.decode()) == []
    issue = ResidentIssue.objects.get()
    status = kazakh.get(reverse("community:issue_status"), {"id": issue.request_id}).content.decode()
    assert category.name_kk and category.name_kk in status
    assert "جاۋاپ كۇتۋدە" in status and leftover_han(status) == []


def test_form_errors_in_kazakh(kazakh, town):
    """A refused report shows the form's errors in Kazakh (not Django's Cyrillic catalogue, not Chinese)."""
    response = kazakh.post(reverse("community:issue_report_public"), {"description": "", "reporter_phone": "x",
                                                                      "reporter_email": "nope", "lon": "a"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "بۇل ورىندى تولتىرىڭىز." in page and "جارامدى تەلەفون نومىرىن جازىڭىز" in page
    assert "جارامدى ەلەكتروندى پوشتا مەكەن-جايىن جازىڭىز." in page and "سان جازىڭىز." in page
    assert not re.search(r"[\u0400-\u04ff]", page)
    assert leftover_han(page) == []


def test_public_labels_match_the_workflow_tables():
    """The translated state names say, in Chinese, what the workflow tables say."""
    with translation.override("zh-hans"):
        for source, names in ((ISSUE_LABELS, ISSUE_STATE_NAMES), (LEVEL_LABELS, LEVEL_NAMES),
                              (WISH_LABELS, WISH_STATE_NAMES)):
            assert {k: str(v) for k, v in names.items()} == {k: str(v) for k, v in source.items()}


# --- the catalogue --------------------------------------------------------------------------------------------


def test_compiled_catalogue_matches_the_po(tmp_path):
    """``django.mo`` is ``django.po`` compiled (run ``msgfmt`` after editing the .po)."""
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(CATALOGUE / "django.po")], check=True)
    with (CATALOGUE / "django.mo").open("rb") as committed, fresh.open("rb") as compiled:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(compiled)._catalog


def test_catalogue_is_arabic_script_kazakh():
    """Every translation is in the Arabic script, none in Cyrillic or Chinese."""
    with (CATALOGUE / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog
    translations = [v for k, v in catalog.items() if k and v]
    assert len(translations) > 50
    for text in translations:
        assert KAZAKH.search(text) and not HAN.search(text) and not re.search(r"[\u0400-\u04ff]", text), text


# --- public wishes --------------------------------------------------------------------------------------------


def test_public_wishes_show_published_wishes_without_the_resident(client, town):
    """Published, claimed and confirmed wishes; not those under review or rejected; no name, no description."""
    Resident.objects.filter(pk=town.zhang.pk).update(name="张三丰")
    page = client.get(reverse("community:public_wishes")).content.decode()
    assert [f"心愿{n}号" in page for n in range(5)] == [True, True, True, False, False]
    for secret in ("张", "腿脚不便", "1-101", "13912345678"):
        assert secret not in page
    assert "<td>东城社区第一网格</td><td>东城社区</td>" in page


def test_public_wishes_filter_and_page(client, town):
    """The state and community filters narrow the list; 51 wishes make two pages."""
    claimed = client.get(reverse("community:public_wishes"), {"state": "claimed"}).content.decode()
    assert "心愿1号" in claimed and "心愿0号" not in claimed
    west = client.get(reverse("community:public_wishes"), {"community": town.west.code}).content.decode()
    assert "心愿0号" not in west and 'id="no-wishes"' in west
    now = timezone.now()
    MicroWish.objects.bulk_create(MicroWish(region=town.grid_a.region, resident=town.zhang, title=f"批量{n}",
                                            state="published", posted_at=now, published_at=now) for n in range(48))
    first = client.get(reverse("community:public_wishes")).content.decode()
    assert first.count('class="wish-row"') == 50 and "page=2" in first
    second = client.get(reverse("community:public_wishes"), {"page": 2}).content.decode()
    assert second.count('class="wish-row"') == 1


@pytest.mark.parametrize("query", [{"state": "posted"}, {"community": "abc"}, {"page": "x"}, {"state": "x" * 200}])
def test_public_wishes_refuse_bad_parameters(client, town, query):
    """A state that is not public, a malformed code or page: 400 with a Chinese message, never 500."""
    response = client.get(reverse("community:public_wishes"), query)
    assert response.status_code == 400 and "参数" in response.content.decode()


def test_unknown_community_is_404(client, town):
    """A well-formed code of no community: 404."""
    assert client.get(reverse("community:public_wishes"), {"community": "652328100099"}).status_code == 404


# --- the service circle ---------------------------------------------------------------------------------------


def test_service_circle_lists_points_and_service_rooms(client, town):
    """A community's service points and service rooms (not its offices), with their services."""
    page = client.get(reverse("community:public_service_circle"), {"community": town.east.code}).content.decode()
    assert "东城党群连心点" in page and "代办、理发、助餐" in page and "东城卫生服务站" in page
    assert "西城党群连心点" not in page
    assert "多功能活动室" in page and "文体活动" in page and "主任办公室" not in page
    assert 'id="circle-points"' in page and 'id="circle-labels"' in page


def test_service_circle_nearest_to_a_clicked_point(client, town):
    """From a point near 卫生服务站, that station comes first, with its distance; the other is further."""
    page = client.get(reverse("community:public_service_circle"),
                      {"community": town.east.code, "lon": "90.2958", "lat": "43.8389"}).content.decode()
    assert page.index("东城卫生服务站") < page.index("东城党群连心点")
    assert "离我最近的服务点" in page and "在 10 分钟服务圈内" in page


def test_service_circle_nearest_to_a_compound(kazakh, town):
    """From 幸福小区 (90.285, 43.835) the 党群连心点 is nearest, about 137 m; in Kazakh."""
    page = kazakh.get(reverse("community:public_service_circle"),
                      {"community": town.east.code, "compound": town.happy.pk}).content.decode()
    assert page.index("东城党群连心点") < page.index("东城卫生服务站")
    assert '<span class="ltr">137</span> مەتر' in page
    assert leftover_han(page) == []


def test_service_circle_pages(client, town):
    """51 service points make two pages."""
    ServicePoint.objects.bulk_create(ServicePoint(region=town.east, name=f"服务点{n:02d}", lon=90.28, lat=43.83)
                                     for n in range(49))
    first = client.get(reverse("community:public_service_circle")).content.decode()
    assert first.count('class="circle-point"') == 50
    second = client.get(reverse("community:public_service_circle"), {"page": 2}).content.decode()
    assert second.count('class="circle-point"') == 2


@pytest.mark.parametrize("query", [{"lon": "90.28"}, {"lat": "43.8"}, {"lon": "200", "lat": "43"},
                                   {"lon": "nan", "lat": "43"}, {"compound": "0"}, {"compound": "x"},
                                   {"community": "6523281000011"}])
def test_service_circle_refuses_bad_parameters(client, town, query):
    """Half a point, a point off the map, a malformed compound or community: 400, never 500."""
    assert client.get(reverse("community:public_service_circle"), query).status_code == 400


def test_service_circle_compound_outside_the_community_is_404(client, town):
    """和谐小区 lies in 西城: asked with 东城, it is not found."""
    response = client.get(reverse("community:public_service_circle"),
                          {"community": town.east.code, "compound": town.harmony.pk})
    assert response.status_code == 404
