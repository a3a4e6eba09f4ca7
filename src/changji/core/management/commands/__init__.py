"""``changji createuser`` (an account with a role and a region) and ``changji demo``, a module each."""
