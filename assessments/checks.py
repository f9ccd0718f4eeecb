"""System checks: a bad alert threshold or wording file stops start-up, not a later request."""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register()
def check_alert_settings(app_configs=None, **kwargs):
    from assessments.instrument_catalog import check_display_text
    from assessments.services.alert import alert_thresholds

    errors = []
    try:
        alert_thresholds()
    except ImproperlyConfigured as exc:
        errors.append(checks.Error(str(exc), id="assessments.E002"))
    for problem in check_display_text():
        errors.append(checks.Error(problem, id="assessments.E001"))
    return errors
