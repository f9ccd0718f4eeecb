from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.html import format_html

from clinic import access
from clinic.admin_base import ClinicModelAdmin, ClinicPlainAdmin
from clinic.models import ApiToken, AuditEvent, Site, StaffProfile
from clinic.services import api_token_create, api_token_revoke

admin.site.site_header = "Clinic administration"
admin.site.site_title = "Clinic"
admin.site.index_title = "Work queues and records"


@admin.register(Site)
class SiteAdmin(ClinicModelAdmin):
    record_type = "site"
    site_path = None
    patient_path = None
    list_display = ["name", "code", "city", "state", "phone", "timezone", "is_active"]
    list_filter = ["is_active", "state"]
    search_fields = ["name", "code", "city"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        site_ids = access.visible_site_ids(request.user)
        return qs if site_ids is access.ALL_SITES else qs.filter(pk__in=site_ids)


@admin.register(StaffProfile)
class StaffProfileAdmin(ClinicModelAdmin):
    record_type = "staff"
    site_path = None
    patient_path = None
    list_display = ["display_name", "credentials", "npi", "user"]
    search_fields = ["display_name", "user__username", "npi"]
    filter_horizontal = ["sites"]
    autocomplete_fields = ["user"]


@admin.register(AuditEvent)
class AuditEventAdmin(ClinicPlainAdmin):
    """Read-only: the audit trail has no edit or delete path anywhere."""

    record_type = "audit_event"
    site_path = None
    patient_path = None
    list_display = [
        "occurred_at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "patient_id",
        "source",
        "outcome",
        "ip_address",
        "request_id",
    ]
    list_filter = ["action", "source", "outcome", "object_type"]
    search_fields = ["actor_label", "object_id", "patient_id", "request_id"]
    date_hierarchy = "occurred_at"
    list_select_related = False

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in AuditEvent._meta.fields]


@admin.register(ApiToken)
class ApiTokenAdmin(ClinicPlainAdmin):
    """Create and revoke integration tokens. The key is shown once, then only its hash is kept."""

    record_type = "api_token"
    site_path = None
    patient_path = None
    list_display = ["name", "prefix", "user", "scope", "expires_at", "status", "last_used_at"]
    list_filter = ["scope"]
    search_fields = ["name", "prefix", "user__username"]
    fields = ["name", "user", "scope", "sites", "expires_at"]
    filter_horizontal = ["sites"]
    actions = ["revoke_selected"]

    @admin.display(description="status")
    def status(self, obj):
        if obj.revoked_at:
            return format_html("<strong>revoked</strong>")
        if obj.expires_at <= timezone.now():
            return "expired"
        return "active"

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, key = api_token_create(
            name=form.cleaned_data["name"],
            user=form.cleaned_data["user"],
            scope=form.cleaned_data["scope"],
            sites=list(form.cleaned_data["sites"]),
            expires_at=form.cleaned_data["expires_at"],
            created_by=request.user,
        )
        obj.pk, obj.prefix = token.pk, token.prefix
        obj._state.adding = False
        messages.warning(
            request,
            format_html(
                "Copy this key now; it is not shown again: <code>{}</code>",
                key,
            ),
        )

    def save_related(self, request, form, formsets, change):
        """Sites were set by the service."""

    @admin.action(description="Revoke selected tokens")
    def revoke_selected(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token, user=request.user)
        self.message_user(request, f"Revoked {queryset.count()} token(s).")


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    filter_horizontal = ["sites"]
    fields = ["display_name", "credentials", "npi", "sites"]


admin.site.unregister(User)


@admin.register(User)
class ClinicUserAdmin(ClinicPlainAdmin, UserAdmin):
    """Staff accounts for clinic admins; roles are groups; superuser status stays superuser-only."""

    record_type = "staff"
    site_path = None
    patient_path = None
    inlines = [StaffProfileInline]
    list_display = ["username", "email", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "groups"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly
