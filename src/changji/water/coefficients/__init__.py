"""以电折水 coefficients: the pure estimate from pumping sessions and its calibration records."""
