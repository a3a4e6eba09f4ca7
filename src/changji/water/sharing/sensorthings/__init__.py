"""OGC SensorThings API Part 1: Sensing v1.1 (OGC 18-088), read-only, at ``/sta/v1.1/``: open data of the wells.

- ``model`` — the entity types as the platform maps them, the constant Sensors and ObservedProperties, ids;
- ``options`` — resource paths and query options; ``intervals`` — daily values as local-day intervals;
- ``render`` — the JSON shapes; ``errors`` — the JSON error (all four pure);
- ``sources`` — the querysets behind each entity set; ``filters`` — ``$filter`` through odata-query;
- ``query`` — reading a page over a set's parts; ``views`` and ``urls`` — the endpoint;
- ``switch`` — the bureau's on/off setting.
"""
