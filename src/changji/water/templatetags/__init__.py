"""Template tags of the water app."""
