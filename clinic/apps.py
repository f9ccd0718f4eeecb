from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic administration"

    def ready(self) -> None:
        from rest_framework import fields

        from clinic import signals  # noqa: F401  (log-ins feed the generic audit layer)

        # DRF's choice errors quote the input back; a value typed into the wrong field may be a
        # name, so error bodies name the field and never echo what was sent.
        for field_class in (fields.ChoiceField, fields.MultipleChoiceField):
            field_class.default_error_messages = {
                **field_class.default_error_messages,
                "invalid_choice": "Not a valid choice; the API schema lists the allowed values.",
            }
