from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("units", "0004_family_help_text"),
    ]

    operations = [
        migrations.CreateModel(
            name="AssessorGuidance",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "unit_family",
                    models.SlugField(help_text="The slug every version of the unit shares.", max_length=100),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("marking_point", "Marking point"), ("common_mistake", "Common mistake")],
                        max_length=20,
                    ),
                ),
                (
                    "position",
                    models.PositiveSmallIntegerField(help_text="Its place among the unit's guidance of its kind."),
                ),
                (
                    "criteria",
                    models.JSONField(blank=True, default=list, help_text='Criteria by number, ["2.1", "2.4"].'),
                ),
                ("text", models.TextField(help_text="Word for word from the source.")),
                ("source", models.CharField(help_text="The document and heading it is taken from.", max_length=255)),
            ],
            options={
                "verbose_name_plural": "assessor guidance",
                "ordering": ["unit_family", "kind", "position"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("unit_family", "kind", "position"), name="assessor_guidance_unique"
                    )
                ],
            },
        ),
    ]
