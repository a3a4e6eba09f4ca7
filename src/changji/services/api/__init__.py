"""The services app's JSON API (``/api/services/``): the public catalogue, the window's cases, the inbox, statistics."""
