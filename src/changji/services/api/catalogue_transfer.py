"""The catalogue as a workbook over the API (``/api/services/catalogue/``), for ``services.catalogue.manage``.

``GET /catalogue/export.xlsx`` answers the whole catalogue within the caller's region (``services.catalogue_io``);
``POST /catalogue/import`` takes the workbook as multipart ``file`` (with ``dry_run``) and imports it all or
nothing: 200 with the counts, or 400 with every row error (sheet, row, column, message) and nothing changed.
"""

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Schema, Status, UploadedFile

from changji.core.access import P
from changji.core.guards import operation
from changji.core.uploads import UploadError, check_size
from changji.services import catalogue_io
from changji.services.web.catalogue_transfer import XLSX, export_response

router = Router()  # its operations take the services router's tag


class RowErrorOut(Schema):
    """One problem of a refused import: where it is and what is wrong (Chinese)."""

    sheet: str
    row: int
    column: str
    message: str


class ImportOut(Schema):
    """What an import did: counts by kind (departments, materials, items, bundles) and action."""

    dry_run: bool
    changed: bool
    summary: str
    counts: dict[str, dict[str, int]]


class ImportRefusedOut(Schema):
    """Why an import did nothing: the summary and every row error (the first 50, then a count)."""

    detail: str
    errors: list[RowErrorOut]


@router.get("/catalogue/export.xlsx", response={200: None}, openapi_extra={"responses": {200: {
    "description": "The catalogue workbook", "content": {XLSX: {}}}}})
@operation(P.SERVICES_CATALOGUE_MANAGE)
def export_catalogue(request: HttpRequest) -> HttpResponse:
    """The whole catalogue within the caller's region as an XLSX workbook (imports again unchanged)."""
    return export_response(request.user)


@router.post("/catalogue/import", response={200: ImportOut, 400: ImportRefusedOut})
@operation(P.SERVICES_CATALOGUE_MANAGE)
def import_catalogue(request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = False) -> Status:
    """Import a catalogue workbook all or nothing; ``dry_run`` checks and counts without saving."""
    try:
        check_size(file.size or 0)
    except UploadError as error:
        return Status(400, {"detail": str(error), "errors": [catalogue_io.RowError("", 0, "", str(error)).as_dict()]})
    result = catalogue_io.import_catalogue(file.read(), request.user, dry_run=dry_run)
    if result.errors:
        return Status(400, {"detail": result.summary(),
                            "errors": [e.as_dict() for e in catalogue_io.shown_errors(result.errors)]})
    return Status(200, {"dry_run": result.dry_run, "changed": result.changed, "summary": result.summary(),
                        "counts": result.as_counts()})
