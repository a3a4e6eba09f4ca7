"""The admin under the one guard: what a role may do is ``core.access``, where it may do it is ``core.scope``.

Every ModelAdmin of the platform derives from ``PolicyAdmin`` and names the permission that lets a user
see its rows (``read_permission``) and change them (``edit_permission``); Django's per-model permissions
(groups, ``user_permissions``) are not consulted. Models that carry a ``REGION_SCOPE`` use
``RegionScopedAdmin``: the lists, detail pages, actions and the choices of every foreign key (including
raw-id and autocomplete fields) are limited to the administrator's region, so a county administrator can
neither see nor point at another county's rows. ``core.checks`` refuses an admin that breaks either rule.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import ForeignKey, ManyToManyField, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from changji.core.access import Permission, allows
from changji.core.scope import covers_instance, scope_queryset


def _scoped_choices(db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> None:
    """Limit the choices of a relation to the user's region when the related model is region scoped."""
    related = db_field.remote_field.model
    if getattr(related, "REGION_SCOPE", None) is not None and "queryset" not in kwargs:
        kwargs["queryset"] = scope_queryset(related._default_manager.all(), request.user)


class PolicyAdmin(admin.ModelAdmin):
    """A ModelAdmin whose permissions come from the access policy (``core.access``)."""

    #: The permission that shows the rows; None means the admin is not usable (``core.checks`` refuses it).
    read_permission: Permission | None = None
    #: The permission that adds, changes and deletes rows; None means read-only.
    edit_permission: Permission | None = None
    #: False where rows come only from elsewhere (grids from their import), so the admin never adds one.
    addable = True

    def may_edit(self, request: HttpRequest) -> bool:
        return self.edit_permission is not None and allows(request.user, self.edit_permission)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        readable = self.read_permission is not None and allows(request.user, self.read_permission)
        return readable or self.may_edit(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.addable and self.may_edit(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.may_edit(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.may_edit(request)

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any) -> Any:
        _scoped_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        # An empty ``?_to_field=`` passes Django's check (it is falsy) and then names no field: look up by pk.
        return super().get_object(request, object_id, from_field or None)

    # django-stubs 6.1.2 gives Django 6.0's signature (an ``action_location`` argument); Django 5.2, pinned in
    # pyproject.toml, calls ``response_action(request, queryset=...)``, which this override matches.
    def response_action(  # type: ignore[override]
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> HttpResponse | None:
        """Refuse an action on selected ids that are not ids (``_selected_action=²``) instead of failing."""
        try:
            for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                self.model._meta.pk.to_python(value)
        except ValidationError:
            self.message_user(request, "所选对象无效，未执行任何操作。", messages.WARNING)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)

    def formfield_for_manytomany(self, db_field: ManyToManyField, request: HttpRequest, **kwargs: Any) -> Any:
        _scoped_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class RegionScopedAdmin(PolicyAdmin):
    """A policy admin whose lists, detail pages and actions go through ``core.scope``."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope_queryset(super().get_queryset(request), request.user)


class InstanceWideAdmin(PolicyAdmin):
    """Rule tables without a region (issue categories, points rules): every administrator reads them.

    Only one whose region covers the whole instance (the prefecture, or an unbounded superuser) changes them,
    because a change applies to every county.
    """

    def may_edit(self, request: HttpRequest) -> bool:
        return super().may_edit(request) and covers_instance(request.user)


class ReadOnlyAdmin(RegionScopedAdmin):
    """Evidence and history (audit log, frames, readings): viewable, never added, changed or deleted.

    It has no ``edit_permission``; ``core.checks`` refuses one that sets it.
    """

    edit_permission = None


class PolicyInline(admin.TabularInline):
    """An inline that follows its parent admin's policy, with foreign-key choices limited to the user's region."""

    def _parent(self) -> PolicyAdmin:
        # The registry is typed as plain ModelAdmin; core.checks refuses any registered admin that is not a PolicyAdmin.
        return cast(PolicyAdmin, self.admin_site._registry[self.parent_model])

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._parent().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._parent().may_edit(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._parent().may_edit(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._parent().may_edit(request)

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any) -> Any:
        _scoped_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
