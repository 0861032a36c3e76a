"""Production static files: collected with hashed names and served by whitenoise, cached for
a year, with no CDN involved."""

import re

import pytest
from django.core.management import call_command
from django.test import Client, override_settings


@pytest.mark.django_db
def test_collected_static_files_are_hashed_and_served_by_whitenoise(tmp_path, settings):
    production_storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(
        STATIC_ROOT=tmp_path,
        STORAGES=production_storages,
        WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
    ):
        call_command("collectstatic", "--noinput", verbosity=0)
        client = Client()
        page = client.get("/").content.decode()
        css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page).group(1)
        response = client.get(css)
        assert response.status_code == 200
        assert "max-age=315360000" in response["Cache-Control"]  # hashed: cache "forever"
        assert b"--c-brand" in b"".join(response.streaming_content)
        assert (tmp_path / "css" / "app.css.gz").exists()  # compressed copies are served too
