"""Build the POST body of an admin change form from what the page rendered, as a browser would."""


def admin_post_data(response, **overrides) -> dict:
    """Field values of the admin form and its inline formsets (management forms included)."""
    data: dict = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
            continue
        data[name] = (
            field.widget.format_value(value)
            if hasattr(field.widget, "format_value") and not isinstance(value, str)
            else value
        )
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management[name].value()
        for sub in formset.forms:
            for name in sub.fields:
                value = sub[name].value()
                if value is None or value is False:
                    continue
                data[f"{sub.prefix}-{name}"] = "on" if value is True else value
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
