"""People and units: 双报到 with a checked identity number, posts with a capacity, 一书四单, masked resident rows."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied

from changji.community.actors import InputError
from changji.community.people import validate_id_number

MEMBER_ID = "652328198506120037"


@pytest.fixture
def member(community_world):
    from changji.community.people import register_member

    return register_member(community_world.east, "王五", MEMBER_ID, "13800000001", "县教育局", "in_service",
                           date(2026, 1, 5), actor=community_world.users.east)


def test_identity_numbers_are_checked_by_gb_11643():
    assert validate_id_number("11010119900307889x") == "11010119900307889X"
    assert validate_id_number("６５２３２８１９８５０６１２００３７") == MEMBER_ID  # full-width digits
    for bad, words in (("65232819850612003", "18位"), ("652328198506120038", "校验码"),
                       ("652328198513120035", "出生日期"), ("65232819850612003A", "应为数字")):
        with pytest.raises(InputError, match=words) as error:
            validate_id_number(bad)
        assert error.value.field == "id_number"
    with pytest.raises(InputError, match="晚于今天"):
        validate_id_number("652328203001010013", today=date(2026, 1, 1))


def test_registering_a_member_is_checked_scoped_and_audited(community_world, member):
    from changji.community.people import register_member
    from changji.core.models import AuditEntry

    assert (member.region, member.kind, member.id_number) == (community_world.east, "in_service", MEMBER_ID)
    entry = AuditEntry.objects.get(action="community.member.registered")
    assert entry.detail["id_number"] == "652328********0037"
    assert MEMBER_ID not in str(entry.detail)
    with pytest.raises(InputError, match="已在本社区报到"):
        register_member(community_world.east, "王五", MEMBER_ID, "", "县教育局", "in_service", date(2026, 1, 6),
                        actor=community_world.users.east)
    with pytest.raises(InputError) as error:
        register_member(community_world.east, "钱八", "11010119900307889X", "", "", "in_service", date(2026, 1, 6),
                        actor=community_world.users.east)
    assert error.value.field == "work_unit"
    with pytest.raises(PermissionDenied):
        register_member(community_world.west, "钱八", "11010119900307889X", "", "县医院", "in_service",
                        date(2026, 1, 6), actor=community_world.users.east)
    with pytest.raises(InputError, match="不是社区"):
        register_member(community_world.grid_a.region, "钱八", "11010119900307889X", "", "县医院", "in_service",
                        date(2026, 1, 6), actor=None)


def test_a_post_is_claimed_once_per_member_and_up_to_its_capacity(community_world, member):
    from changji.community.models import PointEntry
    from changji.community.people import claim_post, create_post, register_member

    east = community_world.users.east
    post = create_post(community_world.east, "政策宣传员", "宣传惠民政策", capacity=1, actor=east)
    claim = claim_post(member, post, date(2026, 1, 10), actor=east)
    assert claim.member == member
    with pytest.raises(InputError, match="已认领"):
        claim_post(member, post, date(2026, 1, 11), actor=east)
    other = register_member(community_world.east, "孙七", "11010119900307889X", "", "县医院", "in_service",
                            date(2026, 1, 5), actor=east)
    with pytest.raises(InputError, match="已满"):
        claim_post(other, post, date(2026, 1, 11), actor=east)
    assert [(e.member, e.points, e.source) for e in PointEntry.objects.all()] == [(member, 2, f"post:{post.pk}")]
    west_post = create_post(community_world.west, "文明引导员", actor=None)
    with pytest.raises(InputError, match="报到社区"):
        claim_post(member, west_post, date(2026, 1, 11))


def test_a_unit_signs_one_book_four_lists_once_a_year_with_every_list(community_world):
    from changji.community.models import AgreementEntry, PointEntry
    from changji.community.people import mark_entry_done, register_unit, sign_agreement

    east = community_world.users.east
    unit = register_unit(community_world.east, "县供电公司", "赵六", "13800000002", date(2026, 1, 6), actor=east)
    with pytest.raises(InputError, match="已在本社区报到"):
        register_unit(community_world.east, "县供电公司", "", "", date(2026, 1, 7), actor=east)
    lists = {"needs": ["老旧小区线路改造"], "resources": ["电工志愿服务队", " "], "projects": ["安全用电进社区"],
             "responsibilities": ["每季度入户检查一次"]}
    with pytest.raises(InputError) as error:
        sign_agreement(unit, 2026, "共驻共建承诺书", {**lists, "projects": ["  "]}, date(2026, 2, 1), actor=east)
    assert error.value.field == "projects"
    with pytest.raises(InputError) as error:
        sign_agreement(unit, 2026, "", lists, date(2026, 2, 1), actor=east)
    assert error.value.field == "commitment"
    agreement = sign_agreement(unit, 2026, "共驻共建承诺书", lists, date(2026, 2, 1), actor=east)
    assert sorted(agreement.entries.values_list("list_kind", flat=True)) == [
        "needs", "projects", "resources", "responsibilities"]
    with pytest.raises(InputError, match="已签订"):
        sign_agreement(unit, 2026, "再签一次", lists, date(2026, 2, 2), actor=east)

    entry = AgreementEntry.objects.get(text="安全用电进社区")
    mark_entry_done(entry, date(2026, 3, 1), actor=east)
    with pytest.raises(InputError, match="已于"):
        mark_entry_done(entry, date(2026, 3, 2), actor=east)
    with pytest.raises(PermissionDenied):
        mark_entry_done(AgreementEntry.objects.get(text="老旧小区线路改造"), date(2026, 3, 2),
                        actor=community_world.users.grid_c)
    assert sorted((e.rule.code, e.points) for e in PointEntry.objects.filter(unit=unit)) == [
        ("agreement_entry_done", 5), ("agreement_signed", 20)]


def test_resident_rows_and_their_export_are_masked(community_world):
    from openpyxl import load_workbook

    from changji.community.models import Resident
    from changji.community.people import ordered_residents, resident_rows, residents_to_xlsx

    rows = resident_rows(ordered_residents(Resident.objects.all()))
    assert [(r.name, r.id_number, r.phone, r.care_tags, r.building, r.door) for r in rows] == [
        ("张三", "652328********1234", "139****5678", "独居老人", "1号楼", "1-101"),
        ("李四", "652328********1235", "139****4321", "", "1号楼", "1-101")]
    content = residents_to_xlsx(rows)
    sheet = load_workbook(BytesIO(content)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "652328********1234" in cells
    assert not any("652328199001011234" in c or "13912345678" in c for c in cells)


# --- races: the database's unique constraints answer with a form error, never a 500 ------------------------------


@pytest.fixture
def lost_race(monkeypatch):
    """The other request commits between our duplicate check and our insert: the check sees nothing."""
    from django.db.models import QuerySet

    monkeypatch.setattr(QuerySet, "exists", lambda self: False)


def test_a_unit_registered_twice_at_once_is_a_form_error(community_world, lost_race):
    from changji.community.models import CoBuildingUnit
    from changji.community.people import register_unit

    east = community_world.users.east
    register_unit(community_world.east, "县供电公司", "", "", date(2026, 1, 6), actor=east)
    with pytest.raises(InputError, match="已在本社区报到") as error:
        register_unit(community_world.east, "县供电公司", "", "", date(2026, 1, 6), actor=east)
    assert error.value.field == "name"
    assert CoBuildingUnit.objects.filter(name="县供电公司").count() == 1  # the transaction is still usable


def test_an_agreement_signed_twice_at_once_is_a_form_error(community_world):
    from django.db.models import QuerySet

    from changji.community.models import UnitAgreement
    from changji.community.people import register_unit, sign_agreement

    east = community_world.users.east
    unit = register_unit(community_world.east, "县供电公司", "", "", date(2026, 1, 6), actor=east)
    lists = {"needs": ["线路改造"], "resources": ["电工"], "projects": ["安全用电"], "responsibilities": ["入户检查"]}
    sign_agreement(unit, 2026, "承诺书", lists, date(2026, 2, 1), actor=east)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(QuerySet, "exists", lambda self: False)
        with pytest.raises(InputError, match="已签订 2026 年度") as error:
            sign_agreement(unit, 2026, "承诺书", lists, date(2026, 2, 1), actor=east)
    assert error.value.field == "year"
    assert UnitAgreement.objects.filter(unit=unit).count() == 1


def test_an_account_linked_to_two_members_at_once_is_a_form_error(community_world, make_user, lost_race):
    from changji.community.models import PartyMember
    from changji.community.people import register_member

    account = make_user("wangwu", community_world.east.code)
    east = community_world.users.east
    register_member(community_world.east, "王五", MEMBER_ID, "", "县教育局", "in_service", date(2026, 1, 5), account,
                    actor=east)
    with pytest.raises(InputError, match="已关联其他党员") as error:
        register_member(community_world.east, "钱八", "11010119900307889X", "", "县医院", "in_service",
                        date(2026, 1, 6), account, actor=east)
    assert error.value.field == "user"
    assert PartyMember.objects.filter(user=account).count() == 1


def test_a_member_registered_twice_at_once_is_a_form_error(community_world, lost_race):
    from changji.community.models import PartyMember
    from changji.community.people import register_member

    east = community_world.users.east
    register_member(community_world.east, "王五", MEMBER_ID, "", "县教育局", "in_service", date(2026, 1, 5), actor=east)
    with pytest.raises(InputError, match="已在本社区报到") as error:
        register_member(community_world.east, "王五", MEMBER_ID, "", "县教育局", "in_service", date(2026, 1, 5),
                        actor=east)
    assert error.value.field == "id_number"
    assert PartyMember.objects.filter(id_number=MEMBER_ID).count() == 1


def test_the_resident_export_writes_formula_like_text_as_text(community_world):
    """A name typed as ``=HYPERLINK(…)`` (or starting + - @) must stay text in Excel, not become a formula."""
    from dataclasses import replace

    from openpyxl import load_workbook

    from changji.community.models import Resident
    from changji.community.people import ordered_residents, resident_rows, residents_to_xlsx

    row = resident_rows(ordered_residents(Resident.objects.filter(pk=community_world.zhang.pk)))[0]
    texts = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(1,1)", "\t=1", "\r=1"]
    rows = [replace(row, name=text, door=text, compound=text) for text in texts]
    sheet = load_workbook(BytesIO(residents_to_xlsx(rows))).active
    cells = [sheet.cell(row=n, column=c) for n in range(2, 2 + len(texts)) for c in (1, 6, 8)]
    assert [c.value for c in cells] == [t.replace("\r", "\n") for t in texts for _ in range(3)]  # XML: CR → LF
    assert {(c.data_type, c.quotePrefix) for c in cells} == {("s", True)}
