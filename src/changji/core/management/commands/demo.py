"""``changji demo``: set up and run the platform on this machine."""

import signal
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from changji.core.demo import prepare_demo, start_demo_processes


class Command(BaseCommand):
    help = (
        "Migrate, create the demo administrator and demo data, start the background processes (recurring "
        "jobs, terminal gateway, derivation loop and simulated fleet) and serve the platform at http://127.0.0.1:8000."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address:port to serve on")
        parser.add_argument("--prepare-only", action="store_true", help="set up, do not serve")

    def handle(self, *args, **options):
        started = time.perf_counter()
        for line in prepare_demo():
            self.stdout.write(self.style.SUCCESS(line))
        self.stdout.write(f"Prepared in {time.perf_counter() - started:.1f} s")
        if options["prepare_only"]:
            return
        # A plain SIGTERM would end this process without stopping the apps' processes.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        processes = start_demo_processes()
        self.stdout.write(f"Serving on http://{options['addr']}/ (Ctrl-C to stop)")
        try:
            call_command("runserver", options["addr"], use_reloader=False)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=15)
