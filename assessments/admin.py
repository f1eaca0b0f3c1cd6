from django.contrib import admin

from assessments.models import Portfolio


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    list_display = ["learner", "unit", "centre", "assessor", "iv", "status"]
    list_filter = ["status", "centre"]
    raw_id_fields = ["learner", "assessor", "iv"]
