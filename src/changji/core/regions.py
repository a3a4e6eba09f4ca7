"""The seed of the GB/T 2260 tree: the nation, Xinjiang, Changji prefecture and its 7 counties.

Townships and villages come with the registry data of each app (well registry imports, grids).
"""

from __future__ import annotations

__pure__ = True  # no Django: tests/test_architecture.py checks it

NATION_CODE = "000000"
XINJIANG_CODE = "650000"
CHANGJI_CODE = "652300"

#: (code, name, level, parent code); levels follow core.models.RegionLevel.
SEED_REGIONS: tuple[tuple[str, str, int, str | None], ...] = (
    (NATION_CODE, "中华人民共和国", 0, None),
    (XINJIANG_CODE, "新疆维吾尔自治区", 1, NATION_CODE),
    (CHANGJI_CODE, "昌吉回族自治州", 2, XINJIANG_CODE),
    ("652301", "昌吉市", 3, CHANGJI_CODE),
    ("652302", "阜康市", 3, CHANGJI_CODE),
    ("652323", "呼图壁县", 3, CHANGJI_CODE),
    ("652324", "玛纳斯县", 3, CHANGJI_CODE),
    ("652325", "奇台县", 3, CHANGJI_CODE),
    ("652327", "吉木萨尔县", 3, CHANGJI_CODE),
    ("652328", "木垒哈萨克自治县", 3, CHANGJI_CODE),
)

CHANGJI_COUNTY_CODES: tuple[str, ...] = tuple(code for code, _, level, _ in SEED_REGIONS if level == 3)
