"""The base for every admin class: the permission matrix, site scoping and read auditing.

The admin and the API ask the same questions of clinic.access, so a role sees the same records in
both. Nothing is deleted from the admin: archive actions replace delete.
"""

from __future__ import annotations

from operator import attrgetter

from django.contrib import admin
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from clinic import access
from clinic.audit import record_reads


class ClinicAdminMixin:
    record_type: str = ""
    site_path: str | None = "site"
    patient_path: str | None = "patient_id"
    audit_reads: bool = True

    # --- permissions from the matrix ---------------------------------------------------------
    def _can(self, request, action: str) -> bool:
        return (
            request.user.is_active
            and request.user.is_staff
            and access.can(request.user, self.record_type, action)
        )

    def has_module_permission(self, request):
        return self._can(request, "view")

    def has_view_permission(self, request, obj=None):
        return self._can(request, "view") or self._can(request, "change")

    def has_add_permission(self, request, *args):
        return self._can(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._can(request, "change")

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # --- scoping -----------------------------------------------------------------------------
    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if self.site_path is None:
            return qs
        return access.scope_queryset(qs, request.user, self.site_path)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        """Outside the user's scope or truly absent: the same 404, so nothing leaks."""
        raise Http404("No such record.")

    # --- audit of reads ----------------------------------------------------------------------
    def _audit_refs(self, obj):
        patient_id = (
            attrgetter(self.patient_path.replace("__", "."))(obj) if self.patient_path else None
        )
        site_id = (
            attrgetter(f"{self.site_path.replace('__', '.')}_id")(obj) if self.site_path else None
        )
        return obj.pk, patient_id, site_id

    def audit(self, request, objects) -> None:
        if self.audit_reads and self.patient_path:
            record_reads(
                actor=request.user,
                object_type=self.record_type,
                records=(self._audit_refs(o) for o in objects),
                source="admin",
            )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}) and response.context_data.get("cl")
        if cl is not None and request.method == "GET":
            self.audit(request, cl.result_list)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = getattr(response, "context_data", {}).get("original")
            if obj is not None:
                self.audit(request, [obj])
        return response

    # --- history pages: scoped and audited like the change page --------------------------------
    # simple-history's views fall back to the history table when the object is not in
    # get_queryset(), which would show another site's records: answer 404 instead.
    def _in_scope_or_404(self, request, object_id):
        from django.contrib.admin.utils import unquote

        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such record.")
        return obj

    def history_view(self, request, object_id, extra_context=None):
        obj = self._in_scope_or_404(request, object_id)
        self.audit(request, [obj])
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        obj = self._in_scope_or_404(request, object_id)
        self.audit(request, [obj])
        return super().history_form_view(request, object_id, version_id, extra_context)


class ClinicModelAdmin(ClinicAdminMixin, SimpleHistoryAdmin):
    """Admin for records that keep history (every patient and clinical model)."""


class ClinicPlainAdmin(ClinicAdminMixin, admin.ModelAdmin):
    """Admin for records without a history table."""
