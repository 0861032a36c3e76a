"""Widgets render the same markup through Jinja2 as through Django templates (FORM_RENDERER is
ismartpay.core.form_renderer.JinjaFirstRenderer, issue 15 goal 1), and admin-only widget
templates still render."""

import importlib
import inspect
import pkgutil
import re

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates, get_default_renderer

from ismartpay.core.form_renderer import JinjaFirstRenderer


def _product_forms() -> list[type[forms.BaseForm]]:
    import ismartpay.urls  # noqa: F401 — registers the URL converters the forms' modules use

    found = []
    for app in ("accounts", "loans", "payments", "ismartpay"):
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if "forms" not in info.name:
                continue
            module = importlib.import_module(info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                    found.append(cls)
    return found


def _markup(html) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", str(html))).strip()


@pytest.mark.django_db
def test_every_widget_of_every_product_form_renders_the_same_markup_in_jinja2():
    django_renderer, renderer = DjangoTemplates(), JinjaFirstRenderer()
    compared = 0
    for cls in _product_forms():
        try:
            form = cls()
        except TypeError:  # needs arguments (a user, a loan): its fields are covered elsewhere
            continue
        for field in form:
            attrs = {"id": field.auto_id, "aria-describedby": f"{field.auto_id}_error"}
            widget, value = field.field.widget, field.value()
            expected = widget.render(field.html_name, value, attrs, renderer=django_renderer)
            got = widget.render(field.html_name, value, attrs, renderer=renderer)
            assert _markup(got) == _markup(expected), (cls.__name__, field.name)
            compared += 1
    assert compared >= 100  # 113 when written: the comparison really ran over the forms


def test_the_settings_use_it_and_a_django_only_admin_widget_still_renders():
    assert isinstance(get_default_renderer(), JinjaFirstRenderer)
    assert settings.FORM_RENDERER == "ismartpay.core.form_renderer.JinjaFirstRenderer"
    from django.contrib.admin.widgets import AdminDateWidget

    html = AdminDateWidget().render("on", "2026-12-01", renderer=JinjaFirstRenderer())
    assert 'class="vDateField"' in html and 'value="2026-12-01"' in html
