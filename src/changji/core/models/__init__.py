"""Core models, one aggregate per module."""

from .audit import AuditEntry
from .region import Region, RegionLevel
from .token import ApiToken
from .user import Role, User

__all__ = ["ApiToken", "AuditEntry", "Region", "RegionLevel", "Role", "User"]
