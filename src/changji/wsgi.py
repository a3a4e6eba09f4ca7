"""WSGI entry point (``changji serve`` runs it under gunicorn, ``core.serving``; runserver too)."""

import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "changji.settings")
application = get_wsgi_application()
# The URL conf (every app's views, about 3 s here) is imported now, as the worker boots, rather than by its first
# request: a gunicorn worker recycled after max_requests would otherwise keep one user waiting.
import_module(settings.ROOT_URLCONF)
