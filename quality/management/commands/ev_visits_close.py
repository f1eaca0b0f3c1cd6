from django.core.management.base import BaseCommand

from quality.services.visits import ev_visits_close


class Command(BaseCommand):
    help = (
        "Deal with EV visits whose last day has passed: release the units they held that the EV left unsigned "
        "(the task worker also does this the day after each visit ends)."
    )

    def handle(self, *args, **options) -> None:
        released = ev_visits_close()
        self.stdout.write(f"Released {released} unit{'s' if released != 1 else ''} from ended EV visits.")
