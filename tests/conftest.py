"""Shared fixtures. Test modules have no __init__.py: their basenames are unique."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; live_server is synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def borrower(db):
    from factories import UserFactory

    return UserFactory()


@pytest.fixture
def borrower_client(client, borrower):
    client.force_login(borrower)
    return client
