"""get_FOO_display() from a table of labels made once per field.

Django's `Model._get_FIELD_display` rebuilds a dict of the field's choices on every call, and
hashing each (value, label) pair translates every lazy label: a list row that shows an
attendance status and a session kind translated a dozen labels to show two, some 400
translations on a member's record. `use_label_tables` (run once the models are loaded, by
members' AppConfig.ready) gives every model field with fixed choices a get_FOO_display that
looks the value up in a dict of value -> label built on first use. The labels stay lazy:
each is translated when shown, in the language of the request. A model that defines its own
get_FOO_display keeps it, and so does a field whose choices are a callable.
"""

from functools import partialmethod

from django.apps import apps
from django.db.models import Model
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable


def _label_table(field):
    table = field.__dict__.get("_label_table")
    if table is None:
        table = {make_hashable(value): label for value, label in field.flatchoices}
        field._label_table = table
    return table


def _get_field_display(self, field):
    """What Model._get_FIELD_display returns (the value itself when it is not a choice)."""
    value = getattr(self, field.attname)
    try:
        label = _label_table(field).get(value, value)
    except TypeError:  # an unhashable value (e.g. a list)
        label = _label_table(field).get(make_hashable(value), value)
    return force_str(label, strings_only=True)


def use_label_tables():
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.fields:
            if not isinstance(field.choices, (list, tuple)):
                continue  # no choices, or a callable's: Django's own
            name = f"get_{field.name}_display"
            installed = model.__dict__.get(name)
            if isinstance(installed, partialmethod) and installed.func is Model._get_FIELD_display:
                setattr(model, name, partialmethod(_get_field_display, field=field))
