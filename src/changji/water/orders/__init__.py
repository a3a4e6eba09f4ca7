"""Operation and maintenance work orders (运维工单): life cycle, calibration results, photos, contractors."""
