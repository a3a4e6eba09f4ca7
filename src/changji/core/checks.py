"""System checks that keep the admin under the one guard (``core.admin_scope``).

* ``changji.E001``: a registered ModelAdmin that does not take its permissions from the access policy
  (not a ``PolicyAdmin``, or without a ``read_permission``) would fall back to Django's per-model
  permissions, a second guard.
* ``changji.E002``: a ModelAdmin over a model with ``REGION_SCOPE`` that is not a ``RegionScopedAdmin`` would
  list every region's rows.
* ``changji.E003``: an evidence admin (``ReadOnlyAdmin``) with an ``edit_permission`` would let history change.
* ``changji.E010``: the instance's root region (``CHANGJI_ROOT_REGION``) is not a region the seed knows, so
  its tree (ancestors and children) cannot be seeded.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core import checks

from changji.core import regions
from changji.core.admin_scope import PolicyAdmin, ReadOnlyAdmin, RegionScopedAdmin


@checks.register(checks.Tags.admin, checks.Tags.security)
def check_admins(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse admins outside the access policy or the region scope."""
    return admin_errors(admin.site._registry)


def admin_errors(registry: dict[Any, admin.ModelAdmin]) -> list[checks.CheckMessage]:
    """Return the errors of the ModelAdmins in ``registry`` (model → admin)."""
    errors: list[checks.CheckMessage] = []
    for model, model_admin in registry.items():
        name = f"{type(model_admin).__name__} ({model._meta.label})"
        if not isinstance(model_admin, PolicyAdmin) or model_admin.read_permission is None:
            errors.append(checks.Error(
                f"{name} does not take its permissions from the access policy",
                hint="Derive it from core.admin_scope.PolicyAdmin and set read_permission (and edit_permission).",
                obj=model_admin, id="changji.E001"))
        if getattr(model, "REGION_SCOPE", None) is not None and not isinstance(model_admin, RegionScopedAdmin):
            errors.append(checks.Error(
                f"{name} lists a region-scoped model without core.scope",
                hint="Derive it from core.admin_scope.RegionScopedAdmin.", obj=model_admin, id="changji.E002"))
        if isinstance(model_admin, ReadOnlyAdmin) and model_admin.edit_permission is not None:
            errors.append(checks.Error(f"{name} is evidence but names an edit permission",
                                       hint="Remove edit_permission.", obj=model_admin, id="changji.E003"))
    return errors


@checks.register()
def check_root_region(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse a root region the seed cannot place in the GB/T 2260 tree."""
    code = regions.root()
    if any(row[0] == code for row in regions.SEED_REGIONS):
        return []
    return [checks.Error(
        f"{regions.ROOT_SETTING}={code!r} is not a region of the seed tree",
        hint="Use a 6-digit GB/T 2260 code listed in changji/core/regions.py SEED_REGIONS, or add the region "
             "and its parent there.", id="changji.E010")]
