"""Services app models, one aggregate per module, re-exported here."""

from changji.services.models.cases import ApplicantKind, Case, CaseEvent, Channel, Material, Notification, SubCase
from changji.services.models.catalogue import Bundle, BundleCategory, BundleItem, BundleStatus, Department, Item

__all__ = [
    "ApplicantKind",
    "Bundle",
    "BundleCategory",
    "BundleItem",
    "BundleStatus",
    "Case",
    "CaseEvent",
    "Channel",
    "Department",
    "Item",
    "Material",
    "Notification",
    "SubCase",
]
