"""Core models, one aggregate per module."""

from changji.core.models.audit import AuditEntry
from changji.core.models.job import JobRun, JobRunState
from changji.core.models.notification import Channel, DeliveryState, Notification, NotificationPreference
from changji.core.models.region import Region, RegionLevel
from changji.core.models.token import ApiToken
from changji.core.models.user import Role, User

__all__ = ["ApiToken", "AuditEntry", "Channel", "DeliveryState", "JobRun", "JobRunState", "Notification",
           "NotificationPreference", "Region", "RegionLevel", "Role", "User"]
