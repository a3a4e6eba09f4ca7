"""Template filters of the services pages."""
