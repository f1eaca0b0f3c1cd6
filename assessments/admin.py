from django.contrib import admin

from assessments.models import Portfolio


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    list_display = ["learner", "unit", "centre", "assessor", "iv", "status"]
    list_filter = ["status", "centre"]
    raw_id_fields = ["learner", "assessor", "iv"]
    # The status moves only through the sign-off services, which check the move, audit it and lock or unlock
    # the evidence; on PostgreSQL a trigger refuses any other change (migration 0010).
    readonly_fields = ["status"]
