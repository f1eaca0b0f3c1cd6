from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = "Quality assurance"

    def ready(self) -> None:
        # The apps below quality may not import it (README, "Architecture"): what they need from it is handed in
        # here. The access checks in people and assessments ask about open visits through people/visit_links.py;
        # the sign-off chain asks for the IV's report and the EV's findings before those signatures; the sign-off
        # page and the dashboards show quality's parts (assessments/page_parts.py).
        from people import visit_links
        from quality import page_parts, signing, visits

        visit_links.provide(visits)
        signing.register()
        page_parts.register()
