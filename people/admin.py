from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from people.models import Centre, EVAllocation, ExternalVerifier, Membership, User


def _superusers_only(request: HttpRequest) -> bool:
    # Centre staff manage people through the centre admin pages; Django admin is for superusers.
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only
admin.site.site_header = "NVQ e-portfolio: superuser administration"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_superuser"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "password"]}),
        ("Status", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})]
    list_filter = ["is_active", "is_superuser"]
    filter_horizontal: list[str] = []


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["name", "number", "is_active"]
    search_fields = ["name", "number"]
    inlines = [MembershipInline]


class AllocationInline(admin.TabularInline):
    model = EVAllocation
    extra = 0


@admin.register(ExternalVerifier)
class ExternalVerifierAdmin(admin.ModelAdmin):
    list_display = ["user", "awarding_body", "is_active"]
    raw_id_fields = ["user"]
    inlines = [AllocationInline]
