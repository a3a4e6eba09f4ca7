"""``changji community``, ``consolidate_grids``, ``import_grids`` and ``open311_client``, a module each."""
