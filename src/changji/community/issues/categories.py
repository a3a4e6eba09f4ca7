"""Issue categories (诉求类别) and routing: the default categories, and who an issue is routed to.

A category is the Open311 ``service_code`` of an issue: its name, who it is routed to (grid,
community, property company or a department), its time limits (first response, resolution) and
the radius within which a report of the same category counts as a likely duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass

from changji.community.grids.geo import distance_m
from changji.community.models import Compound, IssueCategory, ResidentIssue, ResponsibleParty
from changji.core.models import RegionLevel


@dataclass(frozen=True)
class CategorySpec:
    """A default category: its Open311 ``service_code``, name, who it is routed to and its time limits."""

    code: str
    name: str
    group: str
    responsible: str
    department: str
    response_hours: int
    resolve_days: int
    duplicate_radius_m: int
    description: str


DEFAULT_CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("sanitation", "环境卫生", "市容环境", ResponsibleParty.COMMUNITY, "", 24, 3, 100,
                 "垃圾清运、楼道杂物、公共区域卫生"),
    CategorySpec("roads", "道路设施", "基础设施", ResponsibleParty.DEPARTMENT, "住房和城乡建设局", 48, 7, 150,
                 "路面破损、井盖缺失、路灯不亮"),
    CategorySpec("property", "物业服务", "小区物业", ResponsibleParty.PROPERTY, "", 24, 5, 100,
                 "电梯、门禁、绿化、停车等物业服务问题"),
    CategorySpec("neighbour", "邻里纠纷", "平安和谐", ResponsibleParty.GRID, "", 24, 3, 30,
                 "邻里矛盾、家庭纠纷的调解"),
    CategorySpec("noise", "噪音扰民", "平安和谐", ResponsibleParty.DEPARTMENT, "公安派出所", 12, 2, 100,
                 "夜间施工、商铺外放等噪音"),
    CategorySpec("utilities", "供水供暖", "基础设施", ResponsibleParty.DEPARTMENT, "供水供热公司", 12, 3, 200,
                 "停水、水压低、暖气不热"),
    CategorySpec("construction", "违章搭建", "市容环境", ResponsibleParty.DEPARTMENT, "城市管理局（城管）", 48, 15, 50,
                 "私搭乱建、占用公共空间"),
    CategorySpec("security", "治安隐患", "平安和谐", ResponsibleParty.DEPARTMENT, "公安派出所", 12, 5, 100,
                 "门禁损坏、可疑人员、消防通道堵塞"),
    CategorySpec("other", "其他", "其他", ResponsibleParty.GRID, "", 24, 7, 50, "其他诉求"),
)


#: The default categories' names in Kazakh (Arabic script), shown on the residents' pages in Kazakh.
DEFAULT_NAMES_KK: dict[str, str] = {
    "sanitation": "ورتا تازالىعى", "roads": "جول قۇرىلعىلارى", "property": "مۇلىك باسقارۋ قىزمەتى",
    "neighbour": "كورشىلەر اراسىنداعى داۋ", "noise": "شۋ مازالاۋ", "utilities": "سۋ جانە جىلۋ بەرۋ",
    "construction": "زاڭسىز قۇرىلىس", "security": "قوعامدىق قاۋىپسىزدىك قاتەرى", "other": "باسقالار",
}


def seed_categories() -> list[IssueCategory]:
    """Create the default categories that are missing (idempotent; existing rows and local edits are kept).

    A default category without a Kazakh name gets the default one; a Kazakh name entered locally is kept.
    """
    categories = [IssueCategory.objects.get_or_create(code=spec.code, defaults={
        "name": spec.name, "group": spec.group, "responsible": spec.responsible, "department": spec.department,
        "response_hours": spec.response_hours, "resolve_days": spec.resolve_days,
        "duplicate_radius_m": spec.duplicate_radius_m, "description": spec.description})[0]
        for spec in DEFAULT_CATEGORIES]
    for category in categories:
        if not category.name_kk and category.code in DEFAULT_NAMES_KK:
            category.name_kk = DEFAULT_NAMES_KK[category.code]
            category.save(update_fields=["name_kk"])
    return categories


def responsible_label(category: IssueCategory) -> str:
    """Who the category is routed to, for pages and Open311 (the department's name when it has one)."""
    return category.department or str(ResponsibleParty(category.responsible).label)


def responsible_party(issue: ResidentIssue) -> str:
    """Who the issue is routed to by its category, named for this issue.

    A property-service issue goes to the property company of the nearest managed compound in the issue's
    grid (or community); a department's issue to that department; a grid or community issue to that grid
    or community. The handling ladder itself always starts with the grid worker (接诉), whose four-party
    meeting brings the property company or department in.
    """
    category = issue.category
    if category.responsible == ResponsibleParty.PROPERTY:
        scope = issue.region.parent if issue.region.level == RegionLevel.GRID else issue.region
        lon, lat = issue.lon, issue.lat
        if scope is not None and lon is not None and lat is not None:
            managed = Compound.objects.filter(region__path__startswith=scope.path, property_company__isnull=False)
            nearest = min(managed.select_related("property_company"), default=None,
                          key=lambda c: distance_m(lon, lat, c.lon, c.lat))
            if nearest is not None and nearest.property_company is not None:  # not null: filtered above
                return f"{nearest.property_company.name}（{nearest.name}）"
    if category.responsible == ResponsibleParty.GRID:
        return f"{issue.region.name}网格员" if issue.region.level == RegionLevel.GRID else responsible_label(category)
    if category.responsible == ResponsibleParty.COMMUNITY:
        community = issue.region.parent if issue.region.level == RegionLevel.GRID else issue.region
        return community.name if community is not None else responsible_label(category)
    return responsible_label(category)
