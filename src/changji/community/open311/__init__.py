"""Open311 GeoReport v2 at ``/open311/v2/``: XML and JSON for every resource (``views`` says what and who sees what).

* ``formats`` — one answer written as JSON or XML (pure);
* ``addresses`` — ``address_string`` / ``address_id`` resolved through the compound and building register;
* ``views`` — the resources, the privacy rule, CORS and the spec's errors;
* ``urls`` — the URL patterns (``changji.urls`` includes this package).
"""

from __future__ import annotations

from changji.community.open311.urls import urlpatterns
from changji.community.open311.views import Open311Error, create_client

__all__ = ["Open311Error", "create_client", "urlpatterns"]
