from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Portfolios and assessment"

    def ready(self) -> None:
        import pillow_heif
        from django.conf import settings
        from PIL import Image

        # iPhones take HEIC photos; Pillow reads them once this opener is registered.
        pillow_heif.register_heif_opener()
        # The project's own limit, so Pillow's bomb warning fires there (uploads.py treats it as an error).
        Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS
        from assessments.evidence.uploads import allow_long_file_names

        allow_long_file_names()

        # The centre admin's person page (people, which may not import assessments) lists their registrations.
        from django.db.models import Q

        from assessments.models import Portfolio
        from people import registrations

        def involving(*, centre, person):
            return (
                Portfolio.objects.filter(centre=centre)
                .filter(Q(learner=person) | Q(assessor=person) | Q(iv=person))
                .with_people()
            )

        registrations.provide(involving)
