"""The demo's rate table and overdraft areas (``WaterConfig.prepare_demo``).

The rates are ILLUSTRATIVE: shaped like a Xinjiang table under 《新疆维吾尔自治区水资源税改革试点实施办法》
(groundwater dearer than surface water, industry dearer than farming, overdraft areas dearer, agricultural use
within the limit exempt, over-plan use at 2–3 times the rate), but not copied from the province's published
schedule; the bureau enters its own (``/water/tax/rates/``, or the XLSX import). The overdraft areas are two
demo counties, designated for the demo only.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from changji.core.models import Region
from changji.water.models import OverdraftArea, WaterTaxRate

DOCUMENT = "演示数据（示意税额，非正式标准）"
#: (source, use, zone, yuan per m³, over-plan multiplier, exempt within the plan)
RATES = (
    ("groundwater", "agricultural", "normal", "0.10", "2", True),
    ("groundwater", "agricultural", "overdraft", "0.15", "2", True),
    ("groundwater", "agricultural", "severe", "0.20", "3", True),
    ("groundwater", "industrial", "normal", "1.20", "2", False),
    ("groundwater", "industrial", "overdraft", "1.80", "3", False),
    ("groundwater", "industrial", "severe", "2.40", "3", False),
    ("groundwater", "domestic", "normal", "0.60", "2", False),
    ("groundwater", "domestic", "overdraft", "0.90", "2", False),
    ("surface", "agricultural", "normal", "0.05", "2", True),
    ("surface", "industrial", "normal", "0.40", "2", False),
    ("surface", "domestic", "normal", "0.30", "2", False),
)
#: (county code, level): 呼图壁县 一般超采区, 阜康市 严重超采区 (demo designations).
AREAS = (("652323", "overdraft"), ("652302", "severe"))


def seed_tax_rates(year: int = 2024) -> tuple[int, int]:
    """Write the demo rate table (valid from ``year``) and overdraft areas; existing rows are updated. Counts."""
    for source, use, zone, rate, multiplier, exempt in RATES:
        WaterTaxRate.objects.update_or_create(
            source=source, use=use, zone=zone, valid_from_year=year,
            defaults={"rate_yuan_per_m3": Decimal(rate), "over_plan_multiplier": Decimal(multiplier),
                      "exempt_within_plan": exempt, "document": DOCUMENT})
    areas = 0
    for code, level in AREAS:
        if Region.objects.filter(code=code).exists():
            OverdraftArea.objects.update_or_create(region_id=code, designated_on=date(year, 1, 1),
                                                   defaults={"level": level, "document": DOCUMENT})
            areas += 1
    return len(RATES), areas
