"""Four-level data sharing (四级联通): outbox streams up the levels, the exchange API, SensorThings open data.

- ``outbox`` — :func:`outbox.record`, called in the transaction of the change it describes.
- ``streams`` — the registry of streams: how a row is keyed, which region it belongs to, how the upstream
  applies it.
"""
