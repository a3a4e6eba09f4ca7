"""Core models, one aggregate per module."""

from .audit import AuditEntry
from .region import Region, RegionLevel
from .user import Role, User

__all__ = ["AuditEntry", "Region", "RegionLevel", "Role", "User"]
