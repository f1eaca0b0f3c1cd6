from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People and centres"

    def ready(self) -> None:
        # The audit trail names each actor's role in these words; audit may not import people.
        from audit.trail import ROLE_LABELS
        from people.models import Role

        ROLE_LABELS.update(Role.choices)
