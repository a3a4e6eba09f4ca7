"""Template filters of the water pages."""
