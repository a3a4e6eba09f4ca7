"""Helpers shared by the water pages: the user's region, the counties in scope, the workbook import page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from changji.core.models import Region, RegionLevel
from changji.core.regions import root_region
from changji.core.scope import scope_queryset
from changji.core.uploads import ImportOutcome, UploadError, check_size


def user_region(request: HttpRequest) -> Region:
    """The region whose figures the user sees: their own, or the instance's root for an unbounded superuser."""
    user: Any = request.user
    if user.region is not None:
        return user.region
    if user.is_superuser:
        return root_region()
    raise PermissionDenied("账号未设置管辖区划")


def counties(request: HttpRequest) -> list[Region]:
    """The counties of the instance within the user's scope (none for a user bound below county level)."""
    scoped = scope_queryset(Region.objects.within(root_region()).filter(level=RegionLevel.COUNTY), request.user)
    return list(scoped.order_by("code"))


def county_code(path: str) -> str:
    """The county code on a region path (nation/region/prefecture/county/…), the last code above county."""
    codes = [code for code in path.split("/") if code]
    return codes[RegionLevel.COUNTY] if len(codes) > RegionLevel.COUNTY else codes[-1]


class WorkbookForm(forms.Form):
    workbook = forms.FileField(label="XLSX 工作簿")

    def clean_workbook(self) -> Any:
        """Refuse an upload over the size cap before it is read into memory."""
        upload = self.cleaned_data["workbook"]
        try:
            check_size(upload.size)
        except UploadError as error:
            raise forms.ValidationError(str(error)) from error
        return upload


def import_page(request: HttpRequest, template: str, run: Callable[[bytes], ImportOutcome], done_url: str,
                context: Mapping[str, Any] | None = None, help_text: str = "") -> HttpResponse:
    """The page of an all-or-nothing workbook import: the upload form; on POST ``run(content)``.

    Success → the summary as a message and a redirect to ``done_url``; an unreadable workbook or any row problem
    → 400 with every problem listed (sheet, row, column) and nothing changed.
    """
    form = WorkbookForm(request.POST or None, request.FILES or None)
    form.fields["workbook"].help_text = help_text
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = run(form.cleaned_data["workbook"].read())
        except UploadError as error:
            errors = [str(error)]
        else:
            errors = result.errors
            if not errors:
                messages.success(request, result.summary())
                return redirect(done_url)
    refused = bool(errors) or (request.method == "POST" and bool(form.errors))
    return render(request, template, {**(context or {}), "form": form, "errors": errors},
                  status=400 if refused else 200)
