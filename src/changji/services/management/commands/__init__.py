"""``changji services``: only says that ``changji jobs`` now runs the service centre's jobs."""
