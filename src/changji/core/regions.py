"""The instance's root region and the seed of its GB/T 2260 tree.

One software runs at every level of government (county, prefecture, region, nation): an instance is
told its own region by the ``CHANGJI_ROOT_REGION`` setting (default 652300, the Changji prefecture) and
reads it through :func:`root` (the code) or :func:`root_region` (the row). Figures, reports and the
fallback region of unbounded accounts start from the root, never from a code written in the code.

``SEED_REGIONS`` is the part of GB/T 2260 the platform knows out of the box: the nation and its
provincial-level divisions, Xinjiang's prefecture-level divisions and Changji's counties and cities. An
instance seeds only its own tree from it (:func:`seed_tree`): the root's ancestors, the root, and every
known region below it (an instance of 650000 knows Changji's counties). Townships, villages and grids
come with the registry data of each app (well
registry imports, grids). Seeding runs in the core's data migration and after every ``migrate``
(``post_migrate``), so an instance whose root setting changes gets its new tree on the next migrate.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from changji.core.models import Region

ROOT_SETTING = "CHANGJI_ROOT_REGION"
NATION_CODE = "000000"
_XJ = "650000"  # 新疆维吾尔自治区
_CJ = "652300"  # 昌吉回族自治州

#: (code, name, level, parent code), parents before children; levels follow core.models.RegionLevel.
SEED_REGIONS: tuple[tuple[str, str, int, str | None], ...] = (
    (NATION_CODE, "中华人民共和国", 0, None),
    # Provincial-level divisions (GB/T 2260).
    ("110000", "北京市", 1, NATION_CODE),
    ("120000", "天津市", 1, NATION_CODE),
    ("130000", "河北省", 1, NATION_CODE),
    ("140000", "山西省", 1, NATION_CODE),
    ("150000", "内蒙古自治区", 1, NATION_CODE),
    ("210000", "辽宁省", 1, NATION_CODE),
    ("220000", "吉林省", 1, NATION_CODE),
    ("230000", "黑龙江省", 1, NATION_CODE),
    ("310000", "上海市", 1, NATION_CODE),
    ("320000", "江苏省", 1, NATION_CODE),
    ("330000", "浙江省", 1, NATION_CODE),
    ("340000", "安徽省", 1, NATION_CODE),
    ("350000", "福建省", 1, NATION_CODE),
    ("360000", "江西省", 1, NATION_CODE),
    ("370000", "山东省", 1, NATION_CODE),
    ("410000", "河南省", 1, NATION_CODE),
    ("420000", "湖北省", 1, NATION_CODE),
    ("430000", "湖南省", 1, NATION_CODE),
    ("440000", "广东省", 1, NATION_CODE),
    ("450000", "广西壮族自治区", 1, NATION_CODE),
    ("460000", "海南省", 1, NATION_CODE),
    ("500000", "重庆市", 1, NATION_CODE),
    ("510000", "四川省", 1, NATION_CODE),
    ("520000", "贵州省", 1, NATION_CODE),
    ("530000", "云南省", 1, NATION_CODE),
    ("540000", "西藏自治区", 1, NATION_CODE),
    ("610000", "陕西省", 1, NATION_CODE),
    ("620000", "甘肃省", 1, NATION_CODE),
    ("630000", "青海省", 1, NATION_CODE),
    ("640000", "宁夏回族自治区", 1, NATION_CODE),
    (_XJ, "新疆维吾尔自治区", 1, NATION_CODE),
    ("710000", "台湾省", 1, NATION_CODE),
    ("810000", "香港特别行政区", 1, NATION_CODE),
    ("820000", "澳门特别行政区", 1, NATION_CODE),
    # Xinjiang's prefecture-level divisions.
    ("650100", "乌鲁木齐市", 2, _XJ),
    ("650200", "克拉玛依市", 2, _XJ),
    ("650400", "吐鲁番市", 2, _XJ),
    ("650500", "哈密市", 2, _XJ),
    (_CJ, "昌吉回族自治州", 2, _XJ),
    ("652700", "博尔塔拉蒙古自治州", 2, _XJ),
    ("652800", "巴音郭楞蒙古自治州", 2, _XJ),
    ("652900", "阿克苏地区", 2, _XJ),
    ("653000", "克孜勒苏柯尔克孜自治州", 2, _XJ),
    ("653100", "喀什地区", 2, _XJ),
    ("653200", "和田地区", 2, _XJ),
    ("654000", "伊犁哈萨克自治州", 2, _XJ),
    ("654200", "塔城地区", 2, _XJ),
    ("654300", "阿勒泰地区", 2, _XJ),
    # Changji's counties and county-level cities.
    ("652301", "昌吉市", 3, _CJ),
    ("652302", "阜康市", 3, _CJ),
    ("652323", "呼图壁县", 3, _CJ),
    ("652324", "玛纳斯县", 3, _CJ),
    ("652325", "奇台县", 3, _CJ),
    ("652327", "吉木萨尔县", 3, _CJ),
    ("652328", "木垒哈萨克自治县", 3, _CJ),
)

_BY_CODE = {row[0]: row for row in SEED_REGIONS}


def root() -> str:
    """Return the code of the instance's root region (setting ``CHANGJI_ROOT_REGION``)."""
    return str(getattr(settings, ROOT_SETTING))


def root_region() -> Region:
    """Return the instance's root region (the region of an account bound to nothing but the instance)."""
    code = root()
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ImproperlyConfigured(
            f"{ROOT_SETTING}={code} is not in the region table; run `changji migrate` to seed its tree")
    return region


def seed_tree(code: str) -> list[tuple[str, str, int, str | None]]:
    """Return the rows an instance rooted at ``code`` seeds: its ancestors, itself and its known descendants.

    Parents come before children. Raise ``KeyError`` when ``code`` is not in ``SEED_REGIONS``.
    """
    lineage = []
    row: tuple[str, str, int, str | None] | None = _BY_CODE[code]
    while row is not None:
        lineage.append(row)
        row = _BY_CODE[row[3]] if row[3] else None
    # Every known descendant, parents first (SEED_REGIONS is ordered so): an instance of the region (650000) knows
    # its prefectures and their counties, so the rows its prefectures push (water.sharing) find their regions.
    below = {code}
    descendants = []
    for row in SEED_REGIONS:
        if row[3] in below:
            below.add(row[0])
            descendants.append(row)
    return [*reversed(lineage), *descendants]


def seed(region_model: Any = Region, code: str | None = None, using: str = "default") -> int:
    """Create the rows of the root's tree (``seed_tree``) that are missing; return how many were created.

    A region already there is left as it is (its name may have been edited). ``region_model`` is the
    historical model inside a migration (it has no ``save`` that derives the path, so the path is derived
    here from the parent's row).
    """
    regions = region_model.objects.using(using)
    created = 0
    for row_code, name, level, parent_code in seed_tree(code or root()):
        if regions.filter(code=row_code).exists():
            continue
        parent_path = regions.get(code=parent_code).path if parent_code else ""
        regions.create(code=row_code, name=name, level=level, parent_id=parent_code, path=f"{parent_path}{row_code}/")
        created += 1
    return created


def unseed(region_model: Any = Region, code: str | None = None, using: str = "default") -> None:
    """Delete the rows of the root's tree, children first (reverses :func:`seed` in a migration)."""
    for row_code, *_ in reversed(seed_tree(code or root())):
        region_model.objects.using(using).filter(code=row_code).delete()


def seed_after_migrate(app_config: Any, apps: Any = None, using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` receiver of the core app: make sure the root's tree is there (the setting may have changed).

    A root outside ``SEED_REGIONS`` is left to the system check (``changji.E010``).
    """
    if app_config.label != "core" or root() not in _BY_CODE:
        return
    try:
        region_model = apps.get_model("core", "Region") if apps is not None else Region
    except LookupError:  # migrated back below the Region table
        return
    seed(region_model, root(), using)
