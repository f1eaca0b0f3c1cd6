from django.contrib import admin

from units.models import (
    AssessmentMethod,
    AwardingBody,
    Criterion,
    LearningOutcome,
    Qualification,
    QualificationGroup,
    QualificationUnit,
    RangeItem,
    Unit,
)

admin.site.register([AwardingBody, AssessmentMethod, Unit, LearningOutcome, Criterion, RangeItem])
admin.site.register([Qualification, QualificationGroup, QualificationUnit])
