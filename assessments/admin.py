from django.contrib import admin

from assessments.models import Portfolio, Signature


class SignatureInline(admin.TabularInline):
    """A portfolio's signatures, shown and never changed: each is bound to the digest of what was signed and to the
    centre's signature chain, so an edit here would break verification. Withdrawing one is the sign-off services'
    job (with its reason and audit row)."""

    model = Signature
    extra = 0
    can_delete = False
    show_change_link = False
    fields = ["kind", "round", "signer_name", "role", "signed_at", "digest", "withdrawn_at", "withdrawal_reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    list_display = ["learner", "unit", "centre", "assessor", "iv", "status"]
    list_filter = ["status", "centre"]
    raw_id_fields = ["learner", "assessor", "iv"]
    # The status moves only through the sign-off services, which check the move, audit it and lock or unlock
    # the evidence; on PostgreSQL a trigger refuses any other change (migration 0010).
    readonly_fields = ["status"]
    inlines = [SignatureInline]
