"""Copy the front-end files the pages (and /api/docs) use from node_modules into core's static folder.

Run by the Makefile after ``npm ci``. The copies are not committed (see .gitignore); templates refer
to them as ``{% static 'vendor/...' %}``, so nothing is loaded from the internet at run time.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "src" / "changji" / "core" / "static" / "vendor"
FILES = {
    "leaflet/dist/leaflet.js": "leaflet/leaflet.js",
    "leaflet/dist/leaflet.css": "leaflet/leaflet.css",
    "leaflet/dist/images": "leaflet/images",
    "leaflet.markercluster/dist/leaflet.markercluster.js": "leaflet/leaflet.markercluster.js",
    "leaflet.markercluster/dist/MarkerCluster.css": "leaflet/MarkerCluster.css",
    "leaflet.markercluster/dist/MarkerCluster.Default.css": "leaflet/MarkerCluster.Default.css",
    "echarts/dist/echarts.min.js": "echarts/echarts.min.js",
    "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
    # /api/docs (core/api_docs.py): Swagger UI, with its licence and notice (Apache-2.0)
    "swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
    "swagger-ui-dist/swagger-ui.css": "swagger-ui/swagger-ui.css",
    "swagger-ui-dist/favicon-32x32.png": "swagger-ui/favicon-32x32.png",
    "swagger-ui-dist/LICENSE": "swagger-ui/LICENSE",
    "swagger-ui-dist/NOTICE": "swagger-ui/NOTICE",
    # The residents' pages in Kazakh (Arabic script): Noto Naskh Arabic covers Kazakh's letters (ٵ ٶ ٷ ٸ ۋ ڭ ۇ
    # and the high hamza ٴ), which many system fonts lack; the arabic subset only, regular and bold (OFL-1.1)
    "@fontsource/noto-naskh-arabic/files/noto-naskh-arabic-arabic-400-normal.woff2":
        "fonts/noto-naskh-arabic-arabic-400-normal.woff2",
    "@fontsource/noto-naskh-arabic/files/noto-naskh-arabic-arabic-700-normal.woff2":
        "fonts/noto-naskh-arabic-arabic-700-normal.woff2",
    "@fontsource/noto-naskh-arabic/LICENSE": "fonts/NOTO-NASKH-ARABIC-LICENSE",
}


def main() -> int:
    for source, target in FILES.items():
        origin, destination = ROOT / "node_modules" / source, TARGET / target
        if not origin.exists():
            print(f"missing {origin}: run npm ci first", file=sys.stderr)
            return 1
        destination.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, destination, dirs_exist_ok=True)
        else:
            shutil.copy2(origin, destination)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
