"""水资源税计征: the rate table, the pure computation (``rules``), the statement per water user and its exports."""
