"""Where a GeoReport v2 request is when the client sends no ``lat``/``long``: the compound and building register.

GeoReport v2 accepts one of three locations on POST: ``lat`` & ``long``, ``address_string`` or ``address_id``.
Issues are routed by grid, so an address must resolve to a point of the register (小区 ``Compound``, 楼栋
``Building``) before it can be filed:

* ``address_string`` — the compound's name followed by a building's name, spaces and full-width digits
  ignored ("东城小区3号楼", "东城小区 3号楼", "东城小区３号楼"). The longest compound name found in the string
  wins, then the longest of its buildings' names found in the rest. A compound alone (no building named, or a
  rest that names none, such as "东门") is located at the compound's point; a rest that looks like a building
  number ("9号楼", "9栋") the compound lacks is refused, as is a string naming no compound or several;
* ``address_id`` — the register's own ids: ``B<building id>`` or ``C<compound id>`` (case-insensitive), as
  the discovery document says.

Only the register of the client's region is searched; a match found only outside it is refused as such, so a
client learns why. Every refusal is an ``AddressError`` (400) naming the parameter.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from changji.community.issues import intake
from changji.community.models import Building, Compound
from changji.core.errors import Refusal
from changji.core.models import Region, RegionLevel

#: ``address_id``: ``B`` + a building's id or ``C`` + a compound's id.
ADDRESS_ID = re.compile(r"^(?P<kind>[BbCc])(?P<pk>[1-9][0-9]{0,17})$")
#: A rest of the address that names a building by number ("3号楼", "12栋", "5幢", "7号").
BUILDING_NUMBER = re.compile(r"[0-9]+(号楼|号|栋|幢|楼)")


class AddressError(Refusal):
    """An address that does not resolve to one place of the register; ``field`` is the Open311 parameter."""


@dataclass(frozen=True)
class Place:
    """A resolved location: the point, its grid, the address as stored and the register id (``B12`` / ``C3``)."""

    lon: float
    lat: float
    grid: Region
    address: str
    address_id: str


def normalise(text: str) -> str:
    """``text`` without spaces, full-width characters folded (NFKC): the form names are compared in."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _grid(lon: float, lat: float, region: Region, field: str) -> Region:
    grid = intake.locate_region(lon, lat)
    if grid is None and region.level == RegionLevel.GRID:
        grid = region
    if grid is None:
        raise AddressError(field, f"{field}: 该地址的登记位置不在任何网格内")
    return grid


def _place(found: Compound | Building, field: str) -> Place:
    kind = "B" if isinstance(found, Building) else "C"
    return Place(found.lon, found.lat, _grid(found.lon, found.lat, found.region, field), str(found),
                 f"{kind}{found.pk}")


def _in(region: Region, found: Compound | Building, field: str) -> None:
    if not found.region.path.startswith(region.path):
        raise AddressError(field, f"{field}: {found}不在此 api_key 可上报的区域内")


def resolve_id(raw: str, region: Region) -> Place:
    """The place an ``address_id`` (``B<id>`` / ``C<id>``) names, within ``region``."""
    match = ADDRESS_ID.match(raw.strip())
    if match is None:
        raise AddressError("address_id", "address_id: 应为 B<楼栋编号> 或 C<小区编号>，例如 B12")
    model: type[Compound] | type[Building] = Building if match["kind"] in "Bb" else Compound
    found = model.objects.select_related("region").filter(pk=int(match["pk"])).first()
    if found is None:
        raise AddressError("address_id", f"address_id: 登记中没有 {raw.strip()[:20]}")
    _in(region, found, "address_id")
    return _place(found, "address_id")


def _longest(names: dict[int, str], text: str) -> list[int]:
    """The ids whose name occurs in ``text``, keeping only the longest such names."""
    hits = {pk: name for pk, name in names.items() if name and name in text}
    if not hits:
        return []
    longest = max(len(name) for name in hits.values())
    return [pk for pk, name in hits.items() if len(name) == longest]


def _compound(text: str, region: Region) -> Compound:
    """The one compound of ``region`` whose name ``text`` holds (longest name first)."""
    names = {pk: normalise(name) for pk, name in
             Compound.objects.filter(region__path__startswith=region.path).values_list("pk", "name")}
    found = _longest(names, text)
    if not found:
        elsewhere = {pk: normalise(name) for pk, name in Compound.objects.values_list("pk", "name")}
        if _longest(elsewhere, text):
            raise AddressError("address_string", "address_string: 所指小区不在此 api_key 可上报的区域内")
        raise AddressError("address_string", "address_string: 未找到登记的小区，请写明登记的小区名称（及楼栋），"
                                             "或提供 lat/long")
    if len(found) > 1:
        listed = "、".join(sorted({names[pk] for pk in found}))
        raise AddressError("address_string", f"address_string: 地址不明确，{len(found)} 个小区与之匹配（{listed}），"
                                             "请提供 address_id 或 lat/long")
    return Compound.objects.select_related("region").get(pk=found[0])


def resolve_string(raw: str, region: Region) -> Place:
    """The place an ``address_string`` names: a building of a compound, or the compound itself (see the module)."""
    text = normalise(raw)
    if not text:
        raise AddressError("address_string", "address_string: 地址为空")
    compound = _compound(text, region)
    rest = text.split(normalise(compound.name), 1)[1]
    buildings = {pk: normalise(name) for pk, name in compound.buildings.values_list("pk", "name")}
    found = _longest(buildings, rest)
    if len(found) > 1:
        raise AddressError("address_string", f"address_string: 地址不明确，{compound.name}有 {len(found)} 栋楼匹配，"
                                             "请提供 address_id")
    if found:
        building = Building.objects.select_related("region", "compound").get(pk=found[0])
        return _place(building, "address_string")
    if (number := BUILDING_NUMBER.search(rest)) is not None:
        raise AddressError("address_string", f"address_string: {compound.name}没有登记的楼栋 {number[0]}")
    return _place(compound, "address_string")
