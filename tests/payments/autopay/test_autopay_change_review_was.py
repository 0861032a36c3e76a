# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures and the pages tests
"""The review page of an autopay change shows what each changed term was, next to what it will
be. Before (the new-user review helper-68, left open), it read like a new setup: a borrower
changing the amount saw "$600.00 each time" and nothing to compare it with."""

import pytest
from autopay_fixtures import enroll, inline_charges  # noqa: F401
from django.urls import reverse
from test_autopay_pages import card, clock, form_data, plan, web  # noqa: F401

pytestmark = pytest.mark.django_db


def _review(web, plan, card, **over) -> str:
    change = reverse("payments:autopay_change", args=[plan.pk])
    return web.get(web.post(change, form_data(card, **over))["Location"]).content.decode()


def test_a_changed_amount_shows_what_it_was(web, plan, card):
    page = _review(web, plan, card, amount_rule="fixed", fixed_amount="600.00")
    assert "<dd>$600.00 each time" in page
    assert '<span class="was">Was: your scheduled monthly payment</span>' in page
    assert page.count('class="was"') == 1  # method and dates did not change: nothing to compare


def test_a_changed_method_and_schedule_show_what_they_were(web, plan, card, add_card):
    other = add_card("5555555555554444")
    page = _review(web, plan, other, schedule="monthly_day", day_of_month="1")
    assert f'<span class="was">Was: {card.label}</span>' in page
    assert '<span class="was">Was: every month on your due date</span>' in page
    assert page.count('class="was"') == 2


def test_setting_up_autopay_shows_nothing_to_compare(web, linked_loan, card):
    setup = reverse("payments:autopay_setup", args=[linked_loan.pk])
    review = web.get(web.post(setup, form_data(card))["Location"]).content.decode()
    assert 'class="was"' not in review
