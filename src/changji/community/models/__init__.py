"""Community app models (网格化社区治理), one aggregate per module, re-exported here."""

from changji.community.models.grids import Building, Compound, DepartmentalGrid, Grid, PropertyCompany
from changji.community.models.issues import (
    AgreedAction,
    CoordinationMeeting,
    IssueCategory,
    IssueChannel,
    IssueEvent,
    Open311Client,
    ResidentIssue,
    ResponsibleParty,
)
from changji.community.models.people import (
    AgreementEntry,
    AgreementList,
    CareTag,
    CoBuildingUnit,
    Household,
    MemberKind,
    PartyMember,
    Post,
    PostClaim,
    Resident,
    ServicePoint,
    UnitAgreement,
    VolunteerTeam,
)
from changji.community.models.points import PeriodRanking, PointEntry, PointPeriod, PointRule
from changji.community.models.venues import Room, RoomBooking, RoomKind, VenueBaseline
from changji.community.models.wishes import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    ActivityPhoto,
    ActivityServed,
    MicroWish,
    WishEvent,
)

__all__ = [
    "Activity", "ActivityKind", "ActivityParticipant", "ActivityPhoto", "ActivityServed", "AgreedAction",
    "AgreementEntry", "AgreementList", "Building", "CareTag", "CoBuildingUnit", "Compound", "CoordinationMeeting",
    "DepartmentalGrid", "Grid", "Household", "IssueCategory", "IssueChannel", "IssueEvent", "MemberKind",
    "MicroWish", "Open311Client", "PartyMember", "PeriodRanking", "PointEntry", "PointPeriod", "PointRule", "Post",
    "PostClaim", "PropertyCompany", "Resident", "ResidentIssue", "ResponsibleParty", "Room", "RoomBooking",
    "RoomKind", "ServicePoint", "UnitAgreement", "VenueBaseline", "VolunteerTeam", "WishEvent",
]
