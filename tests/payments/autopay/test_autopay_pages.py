# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""The autopay pages as a borrower uses them: set up (loan → method → amount → schedule →
start → review with the exact authorization text and the next 3 debits → confirm), manage
(next debit; change re-authorizes; pause, skip, resume, cancel each emailed; each refused with
the reason inside the cut-off window), object access (target 23) and bad input (target 29)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from autopay_fixtures import NY, at, enroll, inline_charges  # noqa: F401
from django.core import mail
from django.test import Client
from django.urls import reverse
from shared_helpers import sign_in_recently

from payments.autopay import schedule as sched
from payments.autopay.services import AUTHORIZATION_VERSION, authorization_text
from payments.models import AutopayAuthorization, AutopayDebit, AutopayEvent, AutopayPlan

pytestmark = pytest.mark.django_db
START = dt.date(2026, 11, 24)  # linked_loan: next due Sat Dec 5 2026 -> debit Fri Dec 4
AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) autopay-test"
FIRST_THREE = [  # run date, amount: Dec 5 (Sat) moves to Fri Dec 4
    ("Fri, Dec 4, 2026", "$483.32"),
    ("Tue, Jan 5, 2027", "$483.32"),
    ("Fri, Feb 5, 2027", "$483.32"),
]


@pytest.fixture
def clock():
    """Nov 24 2026, 9:00 in New York (the lender's zone); ticks."""
    with time_machine.travel(at(START, 9), tick=True) as traveller:
        yield traveller


@pytest.fixture
def web(clock, borrower):
    client = Client(HTTP_USER_AGENT=AGENT, REMOTE_ADDR="198.51.100.23")
    sign_in_recently(client, borrower)
    return client


@pytest.fixture
def card(add_card):
    return add_card("4242424242424242")


@pytest.fixture
def plan(clock, linked_loan, card, enroll):
    plan = enroll(linked_loan, card, now=at(START, 9))
    mail.outbox.clear()
    return plan


def form_data(card, **over) -> dict:
    data = {
        "method": str(card.pk),
        "amount_rule": "installment",
        "fixed_amount": "",
        "extra_amount": "",
        "schedule": "monthly_due",
        "day_of_month": "",
        "start_date": START.isoformat(),
        "end_date": "",
    }
    return {**data, **over}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- set up ------------------------------------------------------------------------------------
def test_setup_review_confirm_stores_the_authorization_and_emails_a_copy(
    web, borrower, linked_loan, card
):
    setup = reverse("payments:autopay_setup", args=[linked_loan.pk])
    page = web.get(setup)
    assert page.status_code == 200
    html = page.content.decode()
    assert card.label in html and "Every month on the due date" in html
    assert "Autopay is optional" in html

    response = web.post(setup, form_data(card))
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:autopay_review", args=[linked_loan.pk])
    review = web.get(response["Location"])
    assert review.status_code == 200
    terms = sched.PlanTerms(schedule="monthly_due", amount_rule="installment", start_date=START)
    text = authorization_text(loan=linked_loan, method=card, terms=terms)
    html = review.content.decode()
    assert text in html.replace("&#x27;", "'")
    assert [(d.run_date, d.amount) for d in review.context["upcoming"]] == [
        (dt.date(2026, 12, 4), Decimal("483.32")),
        (dt.date(2027, 1, 5), Decimal("483.32")),
        (dt.date(2027, 2, 5), Decimal("483.32")),
    ]
    for day, amount in FIRST_THREE:
        assert day in html and amount in html
    assert not AutopayPlan.objects.exists()  # nothing set up until confirmed

    done = web.post(review.request["PATH_INFO"], {"text_shown": text})
    plan = AutopayPlan.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("payments:autopay_manage", args=[plan.pk])
    auth = AutopayAuthorization.objects.get(plan=plan)
    assert auth.text == text and auth.text_version == AUTHORIZATION_VERSION
    assert auth.ip_address == "198.51.100.23" and auth.user_agent == AGENT
    assert abs(auth.accepted_at - at(START, 9)) < dt.timedelta(minutes=1)
    assert auth.terms["first_debits"] == [
        ["2026-12-04", "483.32"],
        ["2027-01-05", "483.32"],
        ["2027-02-05", "483.32"],
    ]
    assert (plan.owner, plan.method, plan.status) == (borrower, card, "active")
    [email] = mail.outbox
    assert email.to == [borrower.email] and "authorization" in email.subject.lower()
    assert text in email.body and AUTHORIZATION_VERSION in email.body
    assert "Friday, December 4, 2026: $483.32" in email.body
    manage = web.get(done["Location"])
    assert "Autopay is on. We emailed you a copy" in " ".join(messages_of(manage))


def test_setup_biweekly_fixed_amount_with_end_date_shows_its_first_three_debits(
    web, linked_loan, card
):
    setup = reverse("payments:autopay_setup", args=[linked_loan.pk])
    data = form_data(
        card,
        schedule="biweekly",
        amount_rule="fixed",
        fixed_amount="250",
        start_date="2026-11-27",
        end_date="2027-06-30",
    )
    assert web.post(setup, data).status_code == 302
    review = web.get(reverse("payments:autopay_review", args=[linked_loan.pk]))
    assert [d.run_date for d in review.context["upcoming"]] == [
        dt.date(2026, 11, 27),
        dt.date(2026, 12, 11),
        dt.date(2026, 12, 24),
    ]  # Christmas
    assert "until June 30, 2027" in review.context["text"]
    assert "for $250.00, every two weeks, starting" in review.context["text"]


def test_review_without_a_draft_goes_back_to_setup(web, linked_loan):
    response = web.get(reverse("payments:autopay_review", args=[linked_loan.pk]))
    assert response["Location"] == reverse("payments:autopay_setup", args=[linked_loan.pk])


def test_setup_with_a_live_plan_goes_to_manage(web, linked_loan, plan):
    response = web.get(reverse("payments:autopay_setup", args=[linked_loan.pk]))
    assert response["Location"] == reverse("payments:autopay_manage", args=[plan.pk])


def test_confirm_refuses_terms_that_changed_since_review(web, linked_loan, card):
    web.post(reverse("payments:autopay_setup", args=[linked_loan.pk]), form_data(card))
    response = web.post(
        reverse("payments:autopay_review", args=[linked_loan.pk]), {"text_shown": "something else"}
    )
    assert response.status_code == 409
    assert "Review them again" in response.content.decode()
    assert not AutopayPlan.objects.exists() and not mail.outbox


def test_setup_needs_a_recent_sign_in(clock, client, borrower, linked_loan, card):
    client.force_login(borrower)  # a session, but no password entered in the last 5 minutes
    response = client.get(reverse("payments:autopay_setup", args=[linked_loan.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


# --- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"amount_rule": "fixed", "fixed_amount": "400"}, "fixed_amount", "at least $483.32"),
        ({"amount_rule": "fixed", "fixed_amount": "abc"}, "fixed_amount", "dollars and cents"),
        ({"amount_rule": "fixed", "fixed_amount": "1e400"}, "fixed_amount", "dollars and cents"),
        ({"amount_rule": "fixed", "fixed_amount": ""}, "fixed_amount", "Enter the fixed amount"),
        ({"amount_rule": "fixed", "fixed_amount": "-5"}, "fixed_amount", "dollars and cents"),
        ({"amount_rule": "fixed", "fixed_amount": "0"}, "fixed_amount", "at least $0.01"),
        ({"amount_rule": "extra", "extra_amount": "ten"}, "extra_amount", "dollars and cents"),
        ({"amount_rule": "extra", "extra_amount": "NaN"}, "extra_amount", "dollars and cents"),
        ({"amount_rule": "extra"}, "extra_amount", "Enter the extra amount"),
        ({"schedule": "monthly_day", "day_of_month": "29"}, "day_of_month", "from 1 to 28"),
        ({"schedule": "monthly_day", "day_of_month": "0"}, "day_of_month", "from 1 to 28"),
        ({"schedule": "monthly_day", "day_of_month": "x"}, "day_of_month", "from 1 to 28"),
        ({"schedule": "monthly_day"}, "day_of_month", "Choose a day from 1 to 28"),
        ({"end_date": "2026-11-20"}, "end_date", "after the start date"),
        ({"end_date": START.isoformat()}, "end_date", "after the start date"),
        ({"start_date": "2026-11-23"}, "start_date", "today or a later date"),
        ({"start_date": "2026-13-45"}, "start_date", "valid date"),
        ({"start_date": "2027-06-01"}, "start_date", "within 60 days"),
        ({"schedule": "biweekly", "amount_rule": "due"}, "amount_rule", "set amount"),
        ({"method": "999999"}, "method", "valid choice"),
        ({"amount_rule": "everything"}, "amount_rule", "valid choice"),
    ],
)
def test_bad_input_is_explained_next_to_the_field(web, linked_loan, card, over, field, message):
    response = web.post(
        reverse("payments:autopay_setup", args=[linked_loan.pk]), form_data(card, **over)
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert len(form.errors[field]) == 1 and message in form.errors[field][0]
    html = response.content.decode()
    assert 'class="field__error"' in html
    assert not AutopayPlan.objects.exists()


def test_someone_elses_card_cannot_be_chosen(web, linked_loan, add_card, other_user):
    theirs = add_card("5555555555554444", owner=other_user)
    response = web.post(reverse("payments:autopay_setup", args=[linked_loan.pk]), form_data(theirs))
    assert "method" in response.context["form"].errors


# --- manage ------------------------------------------------------------------------------------
def test_manage_shows_the_next_debit_date_and_amount(web, plan):
    response = web.get(reverse("payments:autopay_manage", args=[plan.pk]))
    assert response.status_code == 200
    nxt = response.context["next"]
    assert (nxt.run_date, nxt.amount) == (dt.date(2026, 12, 4), Decimal("483.32"))
    html = response.content.decode()
    assert "Friday, Dec 4, 2026" in html and "483.32" in html
    assert "until 5:00 PM on Thursday, Dec 3" in html
    for label in (
        "Skip the next payment",
        "Pause autopay",
        "Cancel autopay",
        "Change amount, method or dates",
    ):
        assert label in html


def test_change_reauthorizes_and_emails_the_new_authorization(web, borrower, plan, card):
    change = reverse("payments:autopay_change", args=[plan.pk])
    page = web.get(change)
    assert page.status_code == 200 and page.context["form"]["method"].value() == str(card.pk)
    response = web.post(change, form_data(card, amount_rule="fixed", fixed_amount="600.00"))
    assert response["Location"] == reverse("payments:autopay_change_review", args=[plan.pk])
    review = web.get(response["Location"])
    text = review.context["text"]
    assert "for $600.00, every month on my due date" in text
    assert [str(d.amount) for d in review.context["upcoming"]] == ["600.00"] * 3
    done = web.post(response["Location"], {"text_shown": text})
    assert done["Location"] == reverse("payments:autopay_manage", args=[plan.pk])
    plan.refresh_from_db()
    assert (plan.amount_rule, plan.fixed_amount) == ("fixed", Decimal("600.00"))
    latest = AutopayAuthorization.objects.filter(plan=plan).first()
    assert AutopayAuthorization.objects.filter(plan=plan).count() == 2
    assert latest.text == text and latest.user_agent == AGENT
    assert latest.ip_address == "198.51.100.23"
    [email] = mail.outbox
    assert email.subject == "Your autopay was changed" and text in email.body


@pytest.mark.parametrize(
    ("actions", "status", "subjects"),
    [
        (["pause"], "paused", ["Your autopay is paused"]),
        (["pause", "resume"], "active", ["Your autopay is paused", "Your autopay is back on"]),
        (["skip"], "active", ["Your autopay payment on Dec 4 is skipped"]),
        (["cancel"], "cancelled", ["Your autopay is cancelled"]),
    ],
)
def test_each_action_changes_the_plan_and_emails(web, borrower, plan, actions, status, subjects):
    for action in actions:
        response = web.post(reverse(f"payments:autopay_{action}", args=[plan.pk]), follow=True)
        assert response.status_code == 200
        assert not [m for m in response.context["messages"] if m.level_tag == "error"]
    plan.refresh_from_db()
    assert plan.status == status
    assert [m.subject for m in mail.outbox] == subjects
    assert all(m.to == [borrower.email] for m in mail.outbox)
    assert AutopayEvent.objects.filter(plan=plan).count() == 1 + len(actions)


def test_skip_moves_the_next_debit_to_the_following_month(web, plan):
    web.post(reverse("payments:autopay_skip", args=[plan.pk]))
    assert AutopayDebit.objects.get(plan=plan).status == "skipped"
    response = web.get(reverse("payments:autopay_manage", args=[plan.pk]))
    assert response.context["next"].run_date == dt.date(2027, 1, 5)
    assert "of $483.32 on Friday, December 4, 2026 for loan" in mail.outbox[0].body


def test_changing_a_paused_plan_says_it_turns_autopay_back_on(web, plan, card):
    """Before, the review read like a new setup and the plan was silently on again (the
    new-user review helper-68)."""
    web.post(reverse("payments:autopay_pause", args=[plan.pk]))
    change = reverse("payments:autopay_change", args=[plan.pk])
    review_url = web.post(change, form_data(card, start_date="2026-11-24"))["Location"]
    review = web.get(review_url).content.decode()
    assert "<h1>Review your autopay change</h1>" in review
    assert (
        "Autopay is paused now. Confirming this change turns it back on, from the first "
        "payment below." in review
    )
    text = web.get(review_url).context["text"]
    done = web.post(review_url, {"text_shown": text}, follow=True)
    assert messages_of(done)[-1] == (
        "Autopay is changed and back on. We emailed you the new authorization."
    )


@pytest.mark.parametrize("action", ["pause", "skip", "cancel", "change"])
def test_each_change_is_refused_with_the_reason_inside_the_cutoff(web, clock, plan, card, action):
    clock.move_to(at(dt.date(2026, 12, 3), 17, 30))  # after Thursday's 5 PM cut-off
    sign_in_recently(web, plan.owner)
    if action == "change":
        web.post(
            reverse("payments:autopay_change", args=[plan.pk]),
            form_data(card, start_date="2026-12-03", amount_rule="fixed", fixed_amount="600"),
        )
        review = web.get(reverse("payments:autopay_change_review", args=[plan.pk]))
        response = web.post(
            reverse("payments:autopay_change_review", args=[plan.pk]),
            {"text_shown": review.context["text"]},
        )
        assert response.status_code == 409
        html = response.content.decode()
    else:
        response = web.post(reverse(f"payments:autopay_{action}", args=[plan.pk]), follow=True)
        html = " ".join(messages_of(response))
    assert "too close to your next automatic payment on Friday, Dec 4" in html
    assert "changes close at 5:00 PM on Thursday, Dec 3" in html
    plan.refresh_from_db()
    assert plan.status == "active" and plan.amount_rule == "installment"
    assert not AutopayDebit.objects.filter(plan=plan).exists()
    assert not mail.outbox


def test_resume_is_refused_inside_the_cutoff_of_a_debit_already_scheduled(web, clock, plan):
    from payments import jobs

    web.post(reverse("payments:autopay_pause", args=[plan.pk]))
    clock.move_to(at(dt.date(2026, 12, 3), 18))
    sign_in_recently(web, plan.owner)
    mail.outbox.clear()
    # Paused through the cut-off: resuming now starts from the next period, never Dec 4.
    response = web.post(reverse("payments:autopay_resume", args=[plan.pk]), follow=True)
    plan.refresh_from_db()
    assert plan.status == "active" and plan.next_run_date == dt.date(2027, 1, 5)
    assert "Autopay is back on." in messages_of(response)
    jobs.run_autopay(on=dt.date(2026, 12, 4), now=at(dt.date(2026, 12, 4)))
    assert not AutopayDebit.objects.filter(plan=plan, status="charged").exists()


def test_opening_an_action_link_changes_nothing_and_goes_to_the_autopay_page(web, plan):
    """pause, resume and undo are buttons (POST); a GET (a bookmarked or shared link, a
    reload) changes nothing and lands on the plan's page, not on a bare 405. Skip and
    cancel ask first on GET (issue 11, item 9)."""
    manage = reverse("payments:autopay_manage", args=[plan.pk])
    for action in ("pause", "resume", "unskip"):
        response = web.get(reverse(f"payments:autopay_{action}", args=[plan.pk]))
        assert (response.status_code, response["Location"]) == (303, manage)
    plan.refresh_from_db()
    assert plan.status == "active" and not mail.outbox


def test_cancelling_asks_for_confirmation_first_and_the_get_changes_nothing(web, plan):
    page = web.get(reverse("payments:autopay_cancel", args=[plan.pk])).content.decode()
    assert "Cancel autopay?" in page and "Yes, cancel autopay" in page
    plan.refresh_from_db()
    assert plan.status == "active"
    manage = web.get(reverse("payments:autopay_manage", args=[plan.pk])).content.decode()
    assert f'href="{reverse("payments:autopay_cancel", args=[plan.pk])}"' in manage


def test_a_stale_sign_in_must_reauthenticate_before_changing(clock, client, borrower, plan):
    client.force_login(borrower)
    for action in ("pause", "skip", "cancel", "resume", "change"):
        response = client.post(reverse(f"payments:autopay_{action}", args=[plan.pk]))
        assert response["Location"].startswith(reverse("account_reauthenticate")), action
    plan.refresh_from_db()
    assert plan.status == "active"


# --- target 23: another borrower's plan or loan ------------------------------------------------
@pytest.fixture
def other_user(db):
    from factories import UserFactory

    return UserFactory()


@pytest.fixture
def intruder(clock, other_user, add_card):
    add_card("5555555555554444", owner=other_user)  # has a card of their own
    client = Client()
    sign_in_recently(client, other_user)
    return client


def _snapshot(plan):
    plan.refresh_from_db()
    return (
        plan.status,
        plan.method_id,
        plan.amount_rule,
        plan.fixed_amount,
        plan.next_run_date,
        AutopayDebit.objects.count(),
        AutopayEvent.objects.count(),
        AutopayAuthorization.objects.count(),
        AutopayPlan.objects.count(),
    )


def test_another_borrower_gets_404_on_every_autopay_url(intruder, plan, linked_loan, card):
    before = _snapshot(plan)
    urls = [
        reverse(f"payments:autopay_{name}", args=[linked_loan.pk]) for name in ("setup", "review")
    ]
    urls += [
        reverse(f"payments:autopay_{name}", args=[plan.pk])
        for name in (
            "manage",
            "change",
            "change_review",
            "pause",
            "resume",
            "skip",
            "unskip",
            "cancel",
        )
    ]
    data = {**form_data(card, amount_rule="fixed", fixed_amount="900"), "text_shown": "x"}
    for url in urls:
        assert intruder.get(url).status_code == 404, url
        assert intruder.post(url, data).status_code == 404, url
    assert _snapshot(plan) == before
    assert not mail.outbox


@pytest.mark.parametrize("bad", ["999999", "0"])
def test_unknown_plan_ids_are_404(web, bad):
    for name in ("manage", "change", "pause", "cancel"):
        assert web.get(f"/payments/autopay/plan/{bad}/").status_code == 404
        assert web.post(reverse(f"payments:autopay_{name}", args=[int(bad)])).status_code == 404


def test_fields_for_one_choice_are_labelled_for_it_and_shown_only_for_it(web, linked_loan, card):
    """Issue 11, item 4: fixed amount, extra and day of month each belong to one choice."""
    import re

    page = web.get(f"/payments/autopay/{linked_loan.pk}/setup/").content.decode()
    assert re.findall(r'<label for="id_(\w+)">[^<]*<span class="muted">\(optional\)', page) == [
        "end_date"  # the one field that is optional whatever is chosen
    ]
    shown = re.findall(r'data-shown-for="([^"]*)">\s*<label for="id_(\w+)">([^<]*) <span', page)
    assert shown == [
        ("amount_rule=fixed", "fixed_amount", "Fixed amount"),
        ("amount_rule=extra", "extra_amount", "Extra toward principal"),
        ("schedule=monthly_day", "day_of_month", "Day of the month"),
    ]
    assert "(if you chose A fixed amount)" in page
    assert re.search(r'<script src="/static/js/shown-for\.js[^"]*" defer></script>', page)
