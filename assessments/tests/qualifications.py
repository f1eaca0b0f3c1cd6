"""A test qualification of City & Guilds units, for the qualification registration and progress tests: units 220
and 998 mandatory (group 1), and one of 997 and 996 (group 2; 996 is not loaded in the library)."""

from __future__ import annotations

from units.models import AwardingBody, Qualification, QualificationGroup, QualificationUnit


def made_qualification() -> Qualification:
    body = AwardingBody.objects.get(code="CG")
    qualification = Qualification.objects.create(
        slug="test-qualification", title="Test Certificate in Customer Service", awarding_body=body, level=2
    )
    mandatory = QualificationGroup.objects.create(qualification=qualification, number=1, kind="mandatory")
    optional = QualificationGroup.objects.create(
        qualification=qualification, number=2, kind="optional", minimum_units=1, title="Optional units"
    )
    QualificationUnit.objects.create(group=mandatory, position=1, number="220")
    QualificationUnit.objects.create(group=mandatory, position=2, number="998")
    QualificationUnit.objects.create(group=optional, position=1, number="997")
    QualificationUnit.objects.create(group=optional, position=2, number="996", title="A unit not loaded")
    return qualification
