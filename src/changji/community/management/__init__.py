"""The community app's Django management commands, run as ``changji <command>`` (``cli.py``)."""
