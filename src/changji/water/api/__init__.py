"""The water app's JSON API (``/api/water/``): routes and their schemas."""
