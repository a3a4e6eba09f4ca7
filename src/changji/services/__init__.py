"""一件事一次办: one window, one form, parallel approval by several departments."""
