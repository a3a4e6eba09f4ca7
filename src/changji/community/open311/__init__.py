"""Open311 GeoReport v2 at ``/open311/v2/``: XML and JSON for every resource (``views`` says what and who sees what).

* ``formats`` — one answer written as JSON or XML (pure: no Django, so this package imports nothing eagerly);
* ``addresses`` — ``address_string`` / ``address_id`` resolved through the compound and building register;
* ``views`` — the resources, the privacy rule, CORS and the spec's errors;
* ``urls`` — the URL patterns (``changji.urls`` includes this package, which hands out ``urlpatterns``).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: The public names, each from the module that defines it; imported when first asked for (PEP 562).
_EXPORTS = {"Open311Error": "views", "create_client": "views", "urlpatterns": "urls"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import ``name`` from its module on first use, so that importing ``formats`` needs no Django."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
