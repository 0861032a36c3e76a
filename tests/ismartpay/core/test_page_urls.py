"""`{% page_url %}` (ismartpay/core/page_urls.py): a page's URL without arguments, kept per
process, is the URL `{% url %}` gives, under the script prefix of the request."""

import re
import sys
import types
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.template import Context, Template
from django.test import override_settings
from django.urls import (
    NoReverseMatch,
    clear_url_caches,
    get_script_prefix,
    path,
    set_script_prefix,
)

from ismartpay.core.page_urls import page_url

BASE = Path(settings.BASE_DIR) / "templates" / "base.html"


def _layout_names() -> list[str]:
    return sorted(set(re.findall(r"{% page_url '([a-z_:]+)' %}", BASE.read_text())))


def test_the_layout_asks_for_its_links_by_page_url():
    assert len(_layout_names()) == 17
    assert "{% url " not in BASE.read_text()


@pytest.mark.parametrize("name", _layout_names())
def test_page_url_gives_what_the_url_tag_gives(name):
    rendered = Template(f"{{% url '{name}' %}}|{{% page_url '{name}' %}}").render(Context())
    url, kept = rendered.split("|")
    assert kept == url and url.startswith("/")


def test_a_kept_url_follows_the_script_prefix():
    before = get_script_prefix()
    assert page_url("payments:history") == "/payments/history/"
    set_script_prefix("/portal/")
    try:
        assert page_url("payments:history") == "/portal/payments/history/"
    finally:
        set_script_prefix(before)
    assert page_url("payments:history") == "/payments/history/"


def test_an_unknown_name_raises_as_reverse_does():
    with pytest.raises(NoReverseMatch):
        page_url("payments:no-such-page")


def _view(request):
    return HttpResponse()


def test_what_is_kept_is_forgotten_when_a_setting_changes():
    urlconf = types.ModuleType("tests_page_urls_conf")
    urlconf.urlpatterns = [path("old/", _view, name="kept-page")]
    sys.modules[urlconf.__name__] = urlconf
    try:
        with override_settings(ROOT_URLCONF=urlconf.__name__):
            assert page_url("kept-page") == "/old/"
        urlconf.urlpatterns = [path("new/", _view, name="kept-page")]
        clear_url_caches()
        with override_settings(ROOT_URLCONF=urlconf.__name__):
            assert page_url("kept-page") == "/new/"
    finally:
        del sys.modules[urlconf.__name__]
        clear_url_caches()
