"""``changji demo``: set up and run the platform on this machine."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from changji.core.demo import prepare_demo


class Command(BaseCommand):
    help = "Migrate, create the demo administrator and serve the platform at http://127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address:port to serve on")
        parser.add_argument("--prepare-only", action="store_true", help="set up, do not serve")

    def handle(self, *args, **options):
        username, password = prepare_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo administrator: {username} / {password}"))
        if options["prepare_only"]:
            return
        self.stdout.write(f"Serving on http://{options['addr']}/ (Ctrl-C to stop)")
        call_command("runserver", options["addr"], use_reloader=False)
