"""What the site's forms share: the date input of every date field, and the crispy helper of a
form that {% crispy %} renders inside a <form> the page writes itself."""

from crispy_forms.helper import FormHelper
from django import forms


class DateInput(forms.DateInput):
    """<input type="date">: the phone's date picker, ISO dates both ways."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class InPageForm:
    """Mixed in before forms.Form or forms.ModelForm: the form gets a FormHelper that writes
    no <form> tag (the page's template writes it, with its buttons). A subclass's __init__
    may go on to give the helper a layout."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
