"""``changji gateway``, ``simulate``, ``readings``, ``send_command`` and ``water <task>``, a module each."""
