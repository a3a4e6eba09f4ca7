"""The catalogue as a workbook (目录导入导出), for the catalogue administrator (``services.catalogue.manage``).

``/services/admin/catalogue/transfer/`` uploads a workbook (``core.uploads``: size cap before reading, a
zip-bomb check, typed cells) and imports it all or nothing (``services.catalogue_io``): the row errors are shown
in a table (sheet, row, column, message) with a 400 and nothing changed; a dry run shows what would change; a
real import says what it did and redirects (post/redirect/get). ``/services/admin/catalogue/export.xlsx`` is the
whole catalogue within the administrator's region, which imports again unchanged.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from changji.core.access import P
from changji.core.guards import route
from changji.core.uploads import UploadError, check_size
from changji.services import catalogue_io

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TransferForm(forms.Form):
    workbook = forms.FileField(label="目录工作簿（.xlsx）")
    dry_run = forms.BooleanField(label="试导入（只检查并统计，不保存）", required=False)

    def clean_workbook(self) -> Any:
        """Refuse an upload over the size cap before it is read into memory."""
        upload = self.cleaned_data["workbook"]
        try:
            check_size(upload.size)
        except UploadError as error:
            raise forms.ValidationError(str(error)) from error
        return upload


def export_response(by: Any) -> HttpResponse:
    """The catalogue workbook within ``by``'s region as a download."""
    response = HttpResponse(catalogue_io.export_catalogue(by), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="catalogue-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


@route(get=P.SERVICES_CATALOGUE_MANAGE, post=P.SERVICES_CATALOGUE_MANAGE)
def transfer(request: HttpRequest) -> HttpResponse:
    """Upload a catalogue workbook (all or nothing, row errors shown), or dry-run it; the export link."""
    form = TransferForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = catalogue_io.import_catalogue(form.cleaned_data["workbook"].read(), request.user,
                                               dry_run=form.cleaned_data["dry_run"])
        if not result.errors and not result.dry_run:
            messages.success(request, result.summary())
            return redirect("services:catalogue_transfer")
    refused = request.method == "POST" and (not form.is_valid() or bool(result and result.errors))
    return render(request, "services/catalogue_transfer.html", {
        "form": form, "result": result, "errors": catalogue_io.shown_errors(result.errors) if result else [],
        "sheets": catalogue_io.SHEETS,
    }, status=400 if refused else 200)


@route(get=P.SERVICES_CATALOGUE_MANAGE)
def export(request: HttpRequest) -> HttpResponse:
    """The whole catalogue within the user's region as an XLSX workbook."""
    return export_response(request.user)
