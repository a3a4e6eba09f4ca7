"""The terminal gateway: an asyncio TCP server for SL651-2014 and SZY206-2016 terminals.

``server`` accepts connections, ``session`` runs one connection (framing, decoding, acks,
keep-alive, command delivery), ``sink`` is the only database user and acknowledges nothing it has
not committed, ``commands`` turns queued commands into downlink frames and reads the answers.
"""
