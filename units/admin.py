from django.contrib import admin

from units.models import AssessmentMethod, AwardingBody, Criterion, LearningOutcome, RangeItem, Unit

admin.site.register([AwardingBody, AssessmentMethod, Unit, LearningOutcome, Criterion, RangeItem])
