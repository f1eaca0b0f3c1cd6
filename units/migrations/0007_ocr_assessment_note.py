from django.db import migrations


def ocr_note(apps, schema_editor):
    # OCR's specification says how its unit is assessed ("... externally verified by OCR Assessors"): that is OCR's
    # own note to its learners, as the fixture now says, and no other body's learners are shown it.
    UnitCode = apps.get_model("units", "UnitCode")
    for code in UnitCode.objects.filter(awarding_body__code="OCR", code="C4", assessment_note="").select_related(
        "unit"
    ):
        if "OCR" in code.unit.assessment_statement:
            code.assessment_note = code.unit.assessment_statement
            code.save(update_fields=["assessment_note"])


class Migration(migrations.Migration):
    dependencies = [
        ("units", "0006_verifier_statements"),
    ]

    operations = [
        migrations.RunPython(ocr_note, migrations.RunPython.noop),
    ]
