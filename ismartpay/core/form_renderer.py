"""Form widgets rendered by Jinja2, with Django templates as the fallback (issue 15 goal 1).

Django renders every widget through its template engine: a `<select>` is a template plus an
included template per `<option>` and an attrs template per element. Django ships the same
widget templates for Jinja2 (django/forms/jinja2/), which renders them several times faster
with the same markup (the 113 widgets of the product's forms compared equal, whitespace aside:
tests/ismartpay/core/test_form_renderer.py). Widgets that exist only as Django templates —
the admin's related-object wrapper, its date and time widgets — are still found, in Django's
engine. The pages' own templates stay Django templates (their per-row markup excepted:
ismartpay/core/jinja.py)."""

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class JinjaFirstRenderer(BaseRenderer):
    """FORM_RENDERER: a widget or form template from Jinja2 if Django ships one there, else
    from the Django template engine (INSTALLED_APPS' and the built-in form templates)."""

    def __init__(self):
        self.jinja2, self.django = Jinja2(), DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)
