"""The community app's JSON API (``/api/community/``) and the description of Open311 GeoReport v2 (``/open311/v2/``)."""
