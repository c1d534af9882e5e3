"""What a browser would post back from a form as the page showed it."""

from django import forms
from django.test import Client


def form_post_data(form) -> dict:
    """The form's current values (bound data, else initial) as POST data."""
    data = {}
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        key = bound.html_name
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            if widget.check_test(value):
                data[key] = "on"
        elif isinstance(value, (list, tuple)):
            data[key] = [str(v) for v in value]
        elif value is None:
            data[key] = ""
        else:
            formatted = widget.format_value(value)
            if isinstance(formatted, list):  # a select: the chosen option
                formatted = formatted[0] if formatted else ""
            data[key] = "" if formatted is None else str(formatted)
    return data


def client_for(user) -> Client:
    """A separate browser logged in as user (two people at two desks)."""
    client = Client()
    client.force_login(user)
    return client
