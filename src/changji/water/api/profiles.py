"""Protocol profiles, device batches and 规约不符 suggestions in the water API.

``/api/water/profiles`` and ``/api/water/batches``: list and read with ``water.registry.read``; create and
change with ``water.profile.edit`` (prefecture-wide reference data, not region-bound; a batch's terminal count
is the user's region's). ``/api/water/profile-suggestions``: the suggestions of the user's region (scoped by the
terminal); ``POST /api/water/profile-suggestions/{id}/confirm`` switches the terminal and re-decodes its
readings (``water.registry.edit``, the terminal within the user's region). Refusals are 400 naming the field.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from changji.core.access import P
from changji.core.api_schemas import Id, JsonObject, Text
from changji.core.guards import operation
from changji.core.scope import scope_queryset
from changji.water.models import DeviceBatch, ProfileSuggestion, ProtocolProfile, SuggestionState, Terminal
from changji.water.profiles import service

router = Router(tags=["water"])


class ProfileVersionOut(Schema):
    """A version of a profile as it was saved."""

    version: int
    options: dict[str, Any]
    link_mode: str
    report_interval_s: int
    valid_from: datetime
    saved_by: str


class ProfileOut(Schema):
    """A protocol profile (规约配置): its current codec options and version."""

    id: int
    name: str
    protocol: str
    version: int
    options: dict[str, Any]
    link_mode: str
    report_interval_s: int
    description: str
    versions: list[ProfileVersionOut]

    @staticmethod
    def resolve_versions(obj: ProtocolProfile) -> list[Any]:
        return list(obj.versions.order_by("-version"))


class ProfileIn(Schema):
    """A profile to create, or all of its fields to replace; ``options`` are checked (400 listing each problem)."""

    name: Text = Field(..., max_length=64)
    protocol: Text = Field(..., description="szy206 | sl651")
    options: JsonObject = Field(default_factory=dict)
    link_mode: Text = Field("online", description="online | dial_in | sms")
    report_interval_s: int = Field(300, ge=1, le=86400)
    description: Text = Field("", max_length=2000)


class BatchOut(Schema):
    """A device batch (设备批次) with its profile and its terminals in the user's region."""

    id: int
    name: str
    manufacturer: str
    model: str
    firmware: str
    delivery_year: int | None
    profile: str
    profile_id: int
    planned_count: int | None
    notes: str
    terminal_count: int

    @staticmethod
    def resolve_profile(obj: DeviceBatch) -> str:
        return obj.profile.name


class BatchIn(Schema):
    """A batch to create, or all of its fields to replace."""

    name: Text = Field(..., max_length=64)
    manufacturer: Text = Field("", max_length=64)
    model: Text = Field("", max_length=64)
    firmware: Text = Field("", max_length=32)
    delivery_year: int | None = Field(None, ge=1990, le=2100)
    profile: Text = Field(..., description="the profile's name")
    planned_count: int | None = Field(None, ge=0, le=1_000_000)
    notes: Text = Field("", max_length=2000)


class SuggestionOut(Schema):
    """A terminal flagged as decoded with the wrong profile, with the evidence."""

    id: int
    terminal_id: int
    terminal_address: str
    current_profile: str | None
    suggested_profile: str
    current_score: float
    score: float
    evidence: dict[str, Any]
    state: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str
    readings_redecoded: int

    @staticmethod
    def resolve_terminal_address(obj: ProfileSuggestion) -> str:
        return obj.terminal.address

    @staticmethod
    def resolve_current_profile(obj: ProfileSuggestion) -> str | None:
        return obj.current_profile.name if obj.current_profile else None

    @staticmethod
    def resolve_suggested_profile(obj: ProfileSuggestion) -> str:
        return obj.suggested_profile.name


def _profile_values(body: ProfileIn) -> dict[str, Any]:
    if body.protocol not in ProtocolProfile.Protocol.values:
        raise ValidationError({"protocol": "取值应为 szy206 或 sl651"})
    if body.link_mode not in ("online", "dial_in", "sms"):
        raise ValidationError({"link_mode": "取值应为 online、dial_in 或 sms"})
    return body.dict()


def _batches(request: HttpRequest) -> QuerySet[DeviceBatch]:
    mine = scope_queryset(Terminal.objects.all(), request.user)
    return DeviceBatch.objects.select_related("profile").annotate(
        terminal_count=Count("terminals", filter=Q(terminals__in=mine))).order_by("name")


def _batch_values(body: BatchIn) -> dict[str, Any]:
    profile = ProtocolProfile.objects.filter(name=body.profile).first()
    if profile is None:
        raise ValidationError({"profile": f"没有名为“{body.profile}”的规约配置"})
    return {**body.dict(), "profile": profile}


@router.get("/profiles", response=list[ProfileOut])
@operation(P.WATER_REGISTRY_READ)
def list_profiles(request: HttpRequest, protocol: Text | None = None) -> QuerySet[ProtocolProfile]:
    """Every protocol profile (optionally of one protocol) with its version history."""
    profiles = ProtocolProfile.objects.order_by("protocol", "name")
    return profiles.filter(protocol=protocol) if protocol else profiles


@router.get("/profiles/{profile_id}", response=ProfileOut)
@operation(P.WATER_REGISTRY_READ)
def get_profile(request: HttpRequest, profile_id: Id) -> ProtocolProfile:
    """One profile."""
    return get_object_or_404(ProtocolProfile, pk=profile_id)


@router.post("/profiles", response={201: ProfileOut})
@operation(P.WATER_PROFILE_EDIT)
def create_profile(request: HttpRequest, body: ProfileIn) -> Status:
    """Create a profile (version 1); audited ``water.profile.create``."""
    return Status(201, service.save_profile(None, _profile_values(body), request.user))


@router.put("/profiles/{profile_id}", response=ProfileOut)
@operation(P.WATER_PROFILE_EDIT)
def replace_profile(request: HttpRequest, profile_id: Id, body: ProfileIn) -> ProtocolProfile:
    """Replace a profile's fields; a change bumps its version (the gateway picks it up within seconds)."""
    profile = get_object_or_404(ProtocolProfile, pk=profile_id)
    return service.save_profile(profile, _profile_values(body), request.user)


@router.get("/batches", response=list[BatchOut])
@operation(P.WATER_REGISTRY_READ)
def list_batches(request: HttpRequest) -> QuerySet[DeviceBatch]:
    """Every device batch with its profile and its terminals in the user's region."""
    return _batches(request)


@router.get("/batches/{batch_id}", response=BatchOut)
@operation(P.WATER_REGISTRY_READ)
def get_batch(request: HttpRequest, batch_id: Id) -> DeviceBatch:
    """One batch."""
    return get_object_or_404(_batches(request), pk=batch_id)


@router.post("/batches", response={201: BatchOut})
@operation(P.WATER_PROFILE_EDIT)
def create_batch(request: HttpRequest, body: BatchIn) -> Status:
    """Create a batch; audited ``water.batch.save``."""
    batch = service.save_batch(None, _batch_values(body), request.user)
    return Status(201, get_object_or_404(_batches(request), pk=batch.pk))


@router.put("/batches/{batch_id}", response=BatchOut)
@operation(P.WATER_PROFILE_EDIT)
def replace_batch(request: HttpRequest, batch_id: Id, body: BatchIn) -> DeviceBatch:
    """Replace a batch's fields (e.g. move it to another profile of its terminals' protocol)."""
    batch = get_object_or_404(DeviceBatch, pk=batch_id)
    service.save_batch(batch, _batch_values(body), request.user)
    return get_object_or_404(_batches(request), pk=batch.pk)


def _suggestions(request: HttpRequest) -> QuerySet[ProfileSuggestion]:
    return scope_queryset(ProfileSuggestion.objects.select_related(
        "terminal", "current_profile", "suggested_profile"), request.user)


@router.get("/profile-suggestions", response=list[SuggestionOut])
@operation(P.WATER_REGISTRY_READ)
def list_suggestions(request: HttpRequest, state: Text = "open") -> QuerySet[ProfileSuggestion]:
    """规约不符 suggestions of the user's region in a state (default open), newest first."""
    if state not in SuggestionState.values:
        raise ValidationError({"state": f"取值应为 {', '.join(SuggestionState.values)} 之一"})
    return _suggestions(request).filter(state=state).order_by("-created_at")


@router.post("/profile-suggestions/{suggestion_id}/confirm", response=SuggestionOut)
@operation(P.WATER_REGISTRY_EDIT)
def confirm_suggestion(request: HttpRequest, suggestion_id: Id) -> ProfileSuggestion:
    """Switch the terminal to the suggested profile, re-decode its archived frames, rebuild its figures."""
    suggestion = get_object_or_404(_suggestions(request), pk=suggestion_id)
    service.confirm_switch(suggestion, request.user)
    return get_object_or_404(_suggestions(request), pk=suggestion_id)
