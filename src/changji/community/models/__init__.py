"""Community app models (网格化社区治理), one aggregate per module, re-exported here."""

from changji.community.models.grids import Building, Compound, DepartmentalGrid, Grid, PropertyCompany
from changji.community.models.issues import (
    STAFF_CHANNELS,
    IssueCategory,
    IssueChannel,
    IssueEvent,
    Open311Client,
    ResidentIssue,
    ResponsibleParty,
)
from changji.community.models.meetings import (
    AgendaItem,
    AgreedAction,
    CoordinationMeeting,
    ResidentsMeeting,
    ResidentsMeetingKind,
)
from changji.community.models.organisations import (
    GridPartyOrganisation,
    Liaison,
    LiaisonDuty,
    LiaisonKind,
    PartyOrganisationKind,
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
from changji.community.models.visits import CareHousehold, Visit, VisitKind
from changji.community.models.wishes import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    ActivityPhoto,
    ActivityServed,
    MicroWish,
    ResidentParticipation,
    WishEvent,
)

__all__ = [
    "STAFF_CHANNELS", "Activity", "ActivityKind", "ActivityParticipant", "ActivityPhoto", "ActivityServed",
    "AgendaItem", "AgreedAction", "AgreementEntry", "AgreementList", "Building", "CareHousehold", "CareTag",
    "CoBuildingUnit", "Compound", "CoordinationMeeting", "DepartmentalGrid", "Grid", "GridPartyOrganisation",
    "Household", "IssueCategory", "IssueChannel", "IssueEvent", "Liaison", "LiaisonDuty", "LiaisonKind",
    "MemberKind", "MicroWish", "Open311Client", "PartyMember", "PartyOrganisationKind", "PeriodRanking",
    "PointEntry", "PointPeriod", "PointRule", "Post", "PostClaim", "PropertyCompany", "Resident", "ResidentIssue",
    "ResidentParticipation", "ResidentsMeeting", "ResidentsMeetingKind", "ResponsibleParty", "Room", "RoomBooking",
    "RoomKind", "ServicePoint", "UnitAgreement", "VenueBaseline", "Visit", "VisitKind", "VolunteerTeam", "WishEvent",
]
