"""水资源税 in the JSON API: the statement of a region and period, one water user's, and the rate table.

``GET /tax?period=month|quarter|year&at=YYYY-MM-DD[&region=CODE][&format=xlsx]`` answers the statement as JSON
or as the tax office's workbook; ``GET /tax/{water_user_code}`` one user's; ``/tax-rates`` lists, adds and
changes the rate table. The query is read by ``core.params`` (a bad period, day or region code is a 400 naming the
parameter in Chinese); the region must lie within the user's scope (else 404), and a water user outside it is a
404. The rate table applies to the whole instance: only an administrator whose scope covers it changes it.
"""


from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from changji.core import params
from changji.core.access import P
from changji.core.api_schemas import Id, Text
from changji.core.guards import operation
from changji.core.localtime import local_day
from changji.core.models import Region
from changji.core.regions import root_region
from changji.core.scope import covers_instance, scope_queryset, user_can_access_region
from changji.water.models import ReportPeriod, TaxZone, WaterSource, WaterTaxRate, WaterUser, WellUse
from changji.water.tax import rates as rate_table
from changji.water.tax.exports import file_name, to_xlsx
from changji.water.tax.statement import TaxStatement, UserStatement, WellLine, tax_statement

router = Router(tags=["water"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QUERY_HELP = {"period": "month | quarter | year（默认 month）", "at": "期内任一日 YYYY-MM-DD（默认今天）",
              "region": "区划代码（默认本人区划）", "format": "json | xlsx（默认 json）"}


class RegistersOut(Schema):
    start_volume_m3: float | None
    end_volume_m3: float | None
    start_energy_kwh: float | None
    end_energy_kwh: float | None


class TaxWellOut(Schema):
    """One well line: registers (起止表码), volumes, split at the plan, rate and tax (money in yuan, as text)."""

    code: str
    name: str
    licence: str
    source: str
    use: str
    zone: str
    registers: RegistersOut
    metered_m3: Decimal
    estimated_m3: Decimal
    energy_kwh: Decimal
    counted_m3: Decimal
    within_m3: Decimal
    over_m3: Decimal
    rate_yuan_per_m3: Decimal | None
    over_plan_multiplier: Decimal | None
    exempt_within_plan: bool | None
    within_yuan: Decimal
    over_yuan: Decimal
    amount_yuan: Decimal
    notes: list[str]


class TaxUserOut(Schema):
    code: str
    name: str
    region: str
    plan_m3: Decimal | None
    used_before_m3: Decimal
    counted_m3: Decimal
    within_m3: Decimal
    over_m3: Decimal
    amount_yuan: Decimal
    notes: list[str]
    wells: list[TaxWellOut]


class TaxTotalsOut(Schema):
    users: int
    wells: int
    counted_m3: Decimal
    within_m3: Decimal
    over_m3: Decimal
    amount_yuan: Decimal


class TaxStatementOut(Schema):
    """The statement of a region and period (水资源税计征明细)."""

    region: str
    period: str
    first: date
    last: date
    generated_at: datetime
    totals: TaxTotalsOut
    users: list[TaxUserOut]


class TaxRateOut(Schema):
    id: int
    source: str
    use: str
    zone: str
    rate_yuan_per_m3: Decimal
    over_plan_multiplier: Decimal
    exempt_within_plan: bool
    valid_from_year: int
    valid_to_year: int | None
    document: str
    note: str


class TaxRateIn(Schema):
    """A new rate row (the model checks ranges and the unique key; a refusal is a 400 naming the field)."""

    source: WaterSource
    use: WellUse
    zone: TaxZone = TaxZone.NORMAL
    rate_yuan_per_m3: Decimal = Field(ge=0, le=1000, max_digits=8, decimal_places=3)
    over_plan_multiplier: Decimal = Field(Decimal(2), ge=1, le=10, max_digits=4, decimal_places=2)
    exempt_within_plan: bool = False
    valid_from_year: int = Field(ge=params.FIRST_YEAR, le=params.LAST_YEAR)
    valid_to_year: int | None = Field(None, ge=params.FIRST_YEAR, le=params.LAST_YEAR)
    document: Text = Field(max_length=255)
    note: Text = Field("", max_length=255)


class TaxRatePatch(Schema):
    """The row to change (``id``) and the fields to change (the others stay)."""

    id: Id
    rate_yuan_per_m3: Decimal | None = Field(None, ge=0, le=1000, max_digits=8, decimal_places=3)
    over_plan_multiplier: Decimal | None = Field(None, ge=1, le=10, max_digits=4, decimal_places=2)
    exempt_within_plan: bool | None = None
    valid_to_year: int | None = Field(None, ge=params.FIRST_YEAR, le=params.LAST_YEAR)
    document: Text | None = Field(None, max_length=255)
    note: Text | None = Field(None, max_length=255)


def read_query(request: HttpRequest) -> dict[str, Any]:
    """The statement's query: period, day, region code and format (ParamError → 400 in Chinese)."""
    return params.parse(request.GET, {
        "period": params.Choice(ReportPeriod.values, default=ReportPeriod.MONTH),
        "at": params.Day(default=local_day_now()), "region": params.RegionCode(default=""),
        "format": params.Choice(["json", "xlsx"], default="json")})


def local_day_now() -> date:
    return local_day(timezone.now())


def region_in_scope(request: HttpRequest, code: str) -> Region:
    """The region ``code`` (blank: the user's own) when within the user's scope, else 404."""
    if not code:
        region = getattr(request.user, "region", None)
        if region is None and getattr(request.user, "is_superuser", False):
            region = root_region()
    else:
        region = Region.objects.filter(code=code).first()
    if region is None or not user_can_access_region(request.user, region):
        raise Http404("区划不存在")
    return region


def _well_json(line: WellLine) -> dict[str, Any]:
    rate = line.rate
    return {"code": line.code, "name": line.name, "licence": line.licence, "source": line.source, "use": line.use,
            "zone": line.zone, "registers": vars(line.registers), "metered_m3": line.metered_m3,
            "estimated_m3": line.estimated_m3, "energy_kwh": line.energy_kwh, "counted_m3": line.counted_m3,
            "within_m3": line.within_m3, "over_m3": line.over_m3,
            "rate_yuan_per_m3": rate.rate_yuan_per_m3 if rate else None,
            "over_plan_multiplier": rate.over_plan_multiplier if rate else None,
            "exempt_within_plan": rate.exempt_within_plan if rate else None, "within_yuan": line.tax.within_yuan,
            "over_yuan": line.tax.over_yuan, "amount_yuan": line.tax.amount_yuan, "notes": line.notes}


def _user_json(user: UserStatement) -> dict[str, Any]:
    return {"code": user.code, "name": user.name, "region": user.region_name, "plan_m3": user.plan_m3,
            "used_before_m3": user.used_before_m3, "counted_m3": user.counted_m3, "within_m3": user.within_m3,
            "over_m3": user.over_m3, "amount_yuan": user.amount_yuan, "notes": user.notes,
            "wells": [_well_json(line) for line in user.lines]}


def statement_json(statement: TaxStatement) -> dict[str, Any]:
    return {"region": statement.region.code, "period": statement.period, "first": statement.first,
            "last": statement.last, "generated_at": statement.generated_at, "totals": statement.totals,
            "users": [_user_json(user) for user in statement.users]}


def _answer(statement: TaxStatement, file_format: str, water_user_code: str | None = None) -> Any:
    if file_format != "xlsx":
        return statement_json(statement)
    response = HttpResponse(to_xlsx(statement), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{file_name(statement, water_user_code)}"'
    return response


def _document(what: str) -> dict[str, Any]:
    return {"parameters": [{"name": name, "in": "query", "required": False, "description": text,
                            "schema": {"type": "string"}} for name, text in QUERY_HELP.items()],
            "responses": {200: {"description": what, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/TaxStatementOut"}}, XLSX: {}}},
                400: {"description": "参数错误（中文说明，指明参数）"}}}


@router.get("/tax", response={200: TaxStatementOut}, openapi_extra=_document("计征明细（JSON 或 XLSX）"))
@operation(P.WATER_TAX_READ)
def tax(request: HttpRequest) -> Any:
    """The water-resource tax statement of a region for the month, quarter or year containing ``at``."""
    chosen = read_query(request)
    region = region_in_scope(request, chosen["region"])
    return _answer(tax_statement(chosen["period"], chosen["at"], region), chosen["format"])


@router.get("/tax/{water_user_code}", response={200: TaxStatementOut},
            openapi_extra=_document("一个取水户的计征明细（JSON 或 XLSX）"))
@operation(P.WATER_TAX_READ)
def tax_of_user(request: HttpRequest, water_user_code: Text) -> Any:
    """One water user's statement (水资源税计征明细) for the period containing ``at``; outside the scope: 404."""
    chosen = read_query(request)
    user = get_object_or_404(scope_queryset(WaterUser.objects.select_related("region"), request.user),
                             code=water_user_code)
    region = region_in_scope(request, chosen["region"]) if chosen["region"] else user.region
    return _answer(tax_statement(chosen["period"], chosen["at"], region, user.code), chosen["format"], user.code)


@router.get("/tax-rates", response=list[TaxRateOut])
@operation(P.WATER_TAX_READ)
def list_tax_rates(request: HttpRequest) -> Any:
    """The rate table (税额标准)."""
    return WaterTaxRate.objects.all()


def _may_edit_rates(request: HttpRequest) -> None:
    if not covers_instance(request.user):
        raise PermissionDenied("税额标准适用于全州，仅全州范围的管理员可以修改")


@router.post("/tax-rates", response={201: TaxRateOut})
@operation(P.WATER_TAX_RATE_EDIT)
def create_tax_rate(request: HttpRequest, body: TaxRateIn) -> Status:
    """Add a rate row. Audited (``water.tax_rate.created``)."""
    _may_edit_rates(request)
    return Status(201, rate_table.save_rate(WaterTaxRate(**body.dict()), request.user))


@router.patch("/tax-rates", response=TaxRateOut)
@operation(P.WATER_TAX_RATE_EDIT)
def update_tax_rate(request: HttpRequest, body: TaxRatePatch) -> WaterTaxRate:
    """Change the rate row ``id``. Audited (``water.tax_rate.updated``, with the fields before and after)."""
    _may_edit_rates(request)
    rate = get_object_or_404(WaterTaxRate, pk=body.id)
    before = rate_table.snapshot(rate)
    for name, value in body.dict(exclude_unset=True, exclude={"id"}).items():
        setattr(rate, name, value if value is not None or name == "valid_to_year" else getattr(rate, name))
    return rate_table.save_rate(rate, request.user, before=before)
