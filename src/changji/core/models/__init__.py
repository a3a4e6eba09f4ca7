"""Core models, one aggregate per module."""

from changji.core.models.audit import AuditEntry
from changji.core.models.region import Region, RegionLevel
from changji.core.models.token import ApiToken
from changji.core.models.user import Role, User

__all__ = ["ApiToken", "AuditEntry", "Region", "RegionLevel", "Role", "User"]
