from django.contrib import admin

from clinic.admin_base import ClinicModelAdmin
from patients.models import Patient
from patients.services import patient as services


@admin.register(Patient)
class PatientAdmin(ClinicModelAdmin):
    record_type = "patient"
    site_path = "site"
    patient_path = "pk"
    list_display = ["mrn", "last_name", "first_name", "date_of_birth", "site"]
    list_filter = ["site"]
    search_fields = ["mrn", "last_name", "first_name"]
    list_select_related = ["site"]
    readonly_fields = ["mrn", "created_at", "updated_at", "archived_at", "archive_reason"]
    fieldsets = [
        (
            "Identity",
            {
                "fields": [
                    "mrn",
                    "site",
                    "first_name",
                    "middle_name",
                    "last_name",
                    "preferred_name",
                    "date_of_birth",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at", "archived_at", "archive_reason"]}),
    ]

    def save_model(self, request, obj, form, change):
        if change:
            services.patient_update(
                patient=obj,
                user=request.user,
                **{f: form.cleaned_data[f] for f in form.changed_data},
            )
        else:
            created = services.patient_register(
                created_by=request.user,
                **{f: form.cleaned_data[f] for f in form.cleaned_data},
            )
            obj.pk, obj.mrn = created.pk, created.mrn
            obj._state.adding = False
