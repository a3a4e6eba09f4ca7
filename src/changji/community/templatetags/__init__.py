"""Template tags and filters of the community pages."""
