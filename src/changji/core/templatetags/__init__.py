"""Template filters of the shell: ``access`` (``user|may:"…"``, the access policy in templates)."""
