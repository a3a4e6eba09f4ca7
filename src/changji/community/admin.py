"""Admin pages of the community app: the registers the pages list but do not edit, region scoped.

Compounds, buildings, households, residents (with care tags), service points, volunteer teams,
rooms and their baselines, grids' leaders and party branches, and the rule tables (issue
categories, points rules) are maintained here (core.admin_scope limits every list to the
administrator's region). Identity numbers are written once and shown masked afterwards.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from changji.community.grids import outline_register
from changji.community.grids.geo import GeometryError
from changji.community.models import (
    Building,
    CareTag,
    CoBuildingUnit,
    Compound,
    Grid,
    Household,
    IssueCategory,
    PartyMember,
    PointRule,
    PropertyCompany,
    Resident,
    Room,
    ServicePoint,
    VenueBaseline,
    VolunteerTeam,
)
from changji.community.privacy import mask_id_number, mask_phone
from changji.core.access import P
from changji.core.admin_scope import InstanceWideAdmin, RegionScopedAdmin


class RegisterAdmin(RegionScopedAdmin):
    """A community register of the user's region (core.access: community.register.read / .edit)."""

    read_permission = P.COMMUNITY_REGISTER_READ
    edit_permission = P.COMMUNITY_REGISTER_EDIT


class RuleTableAdmin(InstanceWideAdmin):
    """A table that applies to every county (categories, points rules, property companies)."""

    read_permission = P.COMMUNITY_REGISTER_READ
    edit_permission = P.COMMUNITY_REGISTER_EDIT


class MaskedIdentityAdmin(RegisterAdmin):
    """Identity numbers and phones are typed when a person is added and shown masked from then on."""

    @admin.display(description="公民身份号码")
    def masked_id_number(self, obj: Any) -> str:
        return mask_id_number(obj.id_number)

    @admin.display(description="联系电话")
    def masked_phone(self, obj: Any) -> str:
        return mask_phone(obj.phone)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["id_number"] if obj is not None else []

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["masked_id_number"] if obj is not None else []


@admin.register(Grid)
class GridAdmin(RegisterAdmin):
    list_display = ["region", "leader", "area_m2"]
    fields = ["region", "leader", "area_m2"]
    readonly_fields = ["region", "area_m2"]
    addable = False  # grids are drawn by import and consolidation (changji import_grids, grids.consolidate_into)


class CompoundForm(forms.ModelForm):
    """A compound with its outline checked by the register's rules (a valid polygon within the street/town)."""

    class Meta:
        model = Compound
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if "outline" in cleaned and cleaned.get("region"):
            self.instance.region = cleaned["region"]
            try:
                cleaned["outline"] = outline_register.clean_compound_outline(self.instance, cleaned["outline"])
            except GeometryError as error:
                self.add_error("outline", str(error))
        return cleaned


class BuildingForm(forms.ModelForm):
    """A building with its outline checked: a valid polygon within its compound's outline (or the street/town)."""

    class Meta:
        model = Building
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if "outline" in cleaned and cleaned.get("compound") and cleaned.get("region"):
            self.instance.compound, self.instance.region = cleaned["compound"], cleaned["region"]
            try:
                cleaned["outline"] = outline_register.clean_building_outline(self.instance, cleaned["outline"])
            except GeometryError as error:
                self.add_error("outline", str(error))
        return cleaned


@admin.register(Compound)
class CompoundAdmin(RegisterAdmin):
    form = CompoundForm
    list_display = ["name", "region", "property_company", "owners_committee", "has_outline"]
    search_fields = ["name"]

    @admin.display(description="轮廓", boolean=True)
    def has_outline(self, obj: Compound) -> bool:
        return bool(obj.outline)


@admin.register(Building)
class BuildingAdmin(RegisterAdmin):
    form = BuildingForm
    list_display = ["name", "compound", "region", "has_outline"]
    search_fields = ["name", "compound__name"]

    @admin.display(description="轮廓", boolean=True)
    def has_outline(self, obj: Building) -> bool:
        return bool(obj.outline)


@admin.register(Household)
class HouseholdAdmin(RegisterAdmin):
    list_display = ["door", "building", "region"]
    search_fields = ["door", "building__compound__name"]


class ResidentForm(forms.ModelForm):
    """Care tags as boxes to tick.

    The JSON text box took "" (NULL into a NOT NULL column) and 1e309 (a JSON infinity the database refuses),
    both a 500.
    """

    care_tags = forms.TypedMultipleChoiceField(label="关爱标签", choices=CareTag.choices, required=False,
                                               widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Resident
        fields = "__all__"


@admin.register(Resident)
class ResidentAdmin(MaskedIdentityAdmin):
    form = ResidentForm
    list_display = ["name", "masked_id_number", "masked_phone", "household", "care_tags"]
    search_fields = ["name"]


@admin.register(PartyMember)
class PartyMemberAdmin(MaskedIdentityAdmin):
    list_display = ["name", "masked_id_number", "masked_phone", "kind", "work_unit", "region", "registered_on"]
    search_fields = ["name", "work_unit"]


@admin.register(CoBuildingUnit)
class CoBuildingUnitAdmin(RegisterAdmin):
    list_display = ["name", "region", "contact_name", "registered_on"]
    search_fields = ["name"]


@admin.register(VolunteerTeam)
class VolunteerTeamAdmin(RegisterAdmin):
    list_display = ["name", "region", "leader_name", "member_count"]


@admin.register(ServicePoint)
class ServicePointAdmin(RegisterAdmin):
    list_display = ["name", "region", "lon", "lat", "services"]


@admin.register(Room)
class RoomAdmin(RegisterAdmin):
    list_display = ["name", "region", "kind", "function", "area_m2"]
    list_filter = ["kind"]


@admin.register(VenueBaseline)
class VenueBaselineAdmin(RegisterAdmin):
    list_display = ["region", "office_area_before_m2"]


@admin.register(PropertyCompany)
class PropertyCompanyAdmin(RuleTableAdmin):
    list_display = ["name", "contact_phone"]


@admin.register(IssueCategory)
class IssueCategoryAdmin(RuleTableAdmin):
    list_display = ["code", "name", "name_kk", "responsible", "department", "response_hours", "resolve_days", "active"]


@admin.register(PointRule)
class PointRuleAdmin(RuleTableAdmin):
    list_display = ["code", "name", "points", "active"]
