from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic administration"

    def ready(self) -> None:
        from clinic import signals  # noqa: F401  (audit of log-ins feeds the generic audit layer)
