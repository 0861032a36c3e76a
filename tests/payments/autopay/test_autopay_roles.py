# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""Roles on autopay (issue 9, rule Roles; finding 5): an autopay plan is the owner's standing
authorization, so only the borrower or co-borrower may set it up, change, pause, resume, skip
or cancel it; a "view and pay" third party is refused by the pages (404) and by the services
(NotAllowed), and the plan is left exactly as it was. A change never moves the plan to a method
that is not its owner's. Every AutopayEvent names the actual actor and their role."""

import datetime as dt
import html

import pytest
import time_machine
from autopay_fixtures import at, enroll, inline_charges  # noqa: F401
from django.core import mail
from django.test import Client
from django.urls import reverse
from factories import LoanFactory, LoanLinkFactory, UserFactory
from shared_helpers import sign_in_recently

from payments.autopay import schedule as sched
from payments.autopay import services
from payments.errors import NotAllowed
from payments.models import (
    AutopayAuthorization,
    AutopayDebit,
    AutopayEvent,
    AutopayPlan,
    Notice,
    Payment,
)

pytestmark = pytest.mark.django_db
START = dt.date(2026, 11, 24)  # linked_loan: next due Sat Dec 5 2026 -> debit Fri Dec 4


@pytest.fixture
def clock():
    """Nov 24 2026, 9:00 in New York (the lender's zone); ticks."""
    with time_machine.travel(at(START, 9), tick=True) as traveller:
        yield traveller


@pytest.fixture
def people(borrower, linked_loan, add_card):
    """On `linked_loan`: the borrower, a co-borrower, a view-only and a paying third party;
    everyone but the borrower with a card of their own."""
    people = {"borrower": borrower}
    for role, number in (
        ("co_borrower", "5555555555554444"),
        ("viewer", "4000056655665556"),
        ("payer", "378282246310005"),
    ):
        user = UserFactory()
        LoanLinkFactory(user=user, loan=linked_loan, role=role)
        user.card = add_card(number, owner=user)
        people[role] = user
    return people


@pytest.fixture
def plan(clock, people, linked_loan, add_card, enroll):
    """The borrower's monthly plan from their Visa, set up a moment ago."""
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    mail.outbox.clear()
    return plan


def web_for(user) -> Client:
    """Signed in with a password a moment ago (passes `recent_login_required`)."""
    return sign_in_recently(Client(REMOTE_ADDR="198.51.100.23"), user)


def form_data(card, **over) -> dict:
    return {
        "method": str(card.pk),
        "amount_rule": "fixed",
        "fixed_amount": "900.00",
        "extra_amount": "",
        "schedule": "monthly_due",
        "day_of_month": "",
        "start_date": START.isoformat(),
        "end_date": "",
        **over,
    }


def snapshot() -> dict:
    """Every field of every plan, and every row a change would add, and the mail sent."""
    return {
        "plans": list(AutopayPlan.objects.order_by("pk").values()),
        "debits": list(AutopayDebit.objects.order_by("pk").values()),
        "events": AutopayEvent.objects.count(),
        "authorizations": AutopayAuthorization.objects.count(),
        "payments": Payment.objects.count(),
        "notices": Notice.objects.count(),
        "mail": len(mail.outbox),
    }


def html_text(response) -> str:
    return html.unescape(response.content.decode())


def plan_urls(plan) -> list[str]:
    return [
        reverse(f"payments:autopay_{name}", args=[plan.pk])
        for name in ("manage", "change", "change_review", "pause", "resume", "skip", "cancel")
    ]


# --- the pages ---------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["payer", "viewer"])
def test_a_third_party_gets_404_on_every_autopay_url_and_the_plan_is_unchanged(
    people, plan, linked_loan, who
):
    web = web_for(people[who])
    own_card = people[who].card
    before = snapshot()
    loan_urls = [
        reverse(f"payments:autopay_{name}", args=[linked_loan.pk]) for name in ("setup", "review")
    ]
    data = {**form_data(own_card), "text_shown": "x"}
    for url in [*loan_urls, *plan_urls(plan)]:
        assert web.get(url).status_code == 404, url
        assert web.post(url, data).status_code == 404, url
    assert snapshot() == before


def test_a_payer_cannot_resume_the_owners_paused_plan(people, plan):
    services.autopay_pause(plan_id=plan.pk, user=people["borrower"])
    before = snapshot()
    response = web_for(people["payer"]).post(reverse("payments:autopay_resume", args=[plan.pk]))
    assert response.status_code == 404
    assert snapshot() == before
    assert AutopayPlan.objects.get().status == "paused"


def test_a_payer_cannot_set_up_autopay_on_the_owners_loan(clock, people, linked_loan):
    web = web_for(people["payer"])
    setup = reverse("payments:autopay_setup", args=[linked_loan.pk])
    review = reverse("payments:autopay_review", args=[linked_loan.pk])
    assert web.get(setup).status_code == 404
    assert web.post(setup, form_data(people["payer"].card)).status_code == 404
    assert web.post(review, {"text_shown": "x"}).status_code == 404
    assert not AutopayPlan.objects.exists() and not AutopayAuthorization.objects.exists()
    assert not mail.outbox


def test_third_parties_see_no_autopay_controls_owners_do(people, plan, linked_loan):
    setup = reverse("payments:autopay_setup", args=[linked_loan.pk])
    for who in ("payer", "viewer"):
        dashboard = web_for(people[who]).get(reverse("dashboard"))
        assert dashboard.status_code == 200
        [summary] = dashboard.context["summaries"]
        assert summary.can_manage_autopay is False
        assert setup not in dashboard.content.decode(), who
    for who in ("borrower", "co_borrower"):
        page = web_for(people[who]).get(reverse("dashboard")).content.decode()
        assert f'href="{setup}">Manage<' in page, who
    co = web_for(people["co_borrower"])
    manage = co.get(reverse("payments:autopay_manage", args=[plan.pk]))
    page = manage.content.decode()
    assert manage.status_code == 200 and "Pause autopay" in page and "Cancel autopay" in page
    # A change re-authorizes the plan owner's method: only the plan owner is offered it.
    assert manage.context["can_change"] is False
    assert reverse("payments:autopay_change", args=[plan.pk]) not in page
    change = co.get(reverse("payments:autopay_change", args=[plan.pk]), follow=True)
    assert "who set up this autopay, can change it" in html_text(change)


# --- the services ------------------------------------------------------------------------------
def _change(plan_id, user, card):
    terms = sched.PlanTerms(schedule="monthly_due", amount_rule="installment", start_date=START)
    return services.autopay_change(
        plan_id=plan_id, user=user, method=card, terms=terms, ip_address=None, user_agent="t"
    )


SERVICES = {
    "change": lambda plan, user: _change(plan.pk, user, user.card),
    "pause": lambda plan, user: services.autopay_pause(plan_id=plan.pk, user=user),
    "resume": lambda plan, user: services.autopay_resume(plan_id=plan.pk, user=user),
    "skip": lambda plan, user: services.autopay_skip_next(plan_id=plan.pk, user=user),
    "cancel": lambda plan, user: services.autopay_cancel(plan_id=plan.pk, user=user),
}


@pytest.mark.parametrize("who", ["payer", "viewer"])
@pytest.mark.parametrize("action", sorted(SERVICES))
def test_every_autopay_service_refuses_a_third_party(people, plan, who, action):
    before = snapshot()
    with pytest.raises(NotAllowed, match="Only the borrower or co-borrower"):
        SERVICES[action](plan, people[who])
    assert snapshot() == before


@pytest.mark.parametrize("who", ["payer", "viewer"])
def test_the_enrol_service_refuses_a_third_party(clock, people, linked_loan, enroll, who):
    terms = sched.PlanTerms(schedule="monthly_due", amount_rule="installment", start_date=START)
    with pytest.raises(NotAllowed, match="Only the borrower or co-borrower"):
        services.autopay_enroll(
            user=people[who],
            loan_id=linked_loan.pk,
            method=people[who].card,
            terms=terms,
            ip_address=None,
            user_agent="t",
            now=at(START, 9),
        )
    assert not AutopayPlan.objects.exists() and not AutopayEvent.objects.exists()


def test_the_enrol_service_refuses_someone_with_no_link_to_the_loan(clock, people, add_card):
    stranger = UserFactory()
    terms = sched.PlanTerms(schedule="monthly_due", amount_rule="installment", start_date=START)
    with pytest.raises(NotAllowed):
        services.autopay_enroll(
            user=stranger,
            loan_id=LoanFactory().pk,
            method=add_card("4242424242424242", owner=stranger),
            terms=terms,
            ip_address=None,
            user_agent="t",
            now=at(START, 9),
        )
    assert not AutopayPlan.objects.exists()


def test_a_change_to_a_method_that_is_not_the_plan_owners_is_refused(people, plan):
    """The nightly run charges the plan owner's authorization: a co-borrower's own card on the
    borrower's plan would be refused then, suspending the plan."""
    before = snapshot()
    with pytest.raises(NotAllowed, match="only debit a payment method of the person"):
        _change(plan.pk, people["co_borrower"], people["co_borrower"].card)
    assert snapshot() == before


# --- who did it --------------------------------------------------------------------------------
def test_every_owner_action_is_recorded_with_the_actor_and_their_role(people, plan):
    borrower, co = people["borrower"], people["co_borrower"]
    web = web_for(co)
    for action in ("pause", "resume", "skip", "cancel"):
        response = web.post(reverse(f"payments:autopay_{action}", args=[plan.pk]), follow=True)
        assert not [m for m in response.context["messages"] if m.level_tag == "error"], action
    assert list(
        AutopayEvent.objects.filter(plan=plan)
        .order_by("pk")
        .values_list("kind", "actor_id", "actor_label")
    ) == [
        ("enrolled", borrower.pk, "borrower"),
        ("paused", co.pk, "co_borrower"),
        ("resumed", co.pk, "co_borrower"),
        ("skipped", co.pk, "co_borrower"),
        ("cancelled", co.pk, "co_borrower"),
    ]
    # The plan owner (whose authorization it is) is told of each change.
    assert {tuple(m.to) for m in mail.outbox} == {(borrower.email,)}
    assert len(mail.outbox) == 4
