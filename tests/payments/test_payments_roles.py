"""Roles on one-time payments (issue 9, rule Roles; finding 4): a view-only third party changes
nothing; a paying third party cancels only the payments they made themselves; every event
names the actual actor and their role on the loan; the owners (borrower and co-borrower) are
emailed when a third party pays or cancels."""

import datetime as dt
import html

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from factories import LoanLinkFactory, UserFactory

from payments.errors import NotAllowed
from payments.models import Notice, Payment, PaymentEvent, SandboxCharge
from payments.services import payment_cancel_scheduled

pytestmark = pytest.mark.django_db

# Tuesday 2026-11-24, 10:00 in New York: a business day, before the 17:00 cut-off.
BEFORE_CUTOFF = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
LATER = "2026-12-01"  # a Tuesday: the payment waits, scheduled


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(BEFORE_CUTOFF, tick=False):
        yield


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """post(client, url, data) -> the response, its on-commit work (queued notices) done, as
    it would be outside the test's transaction."""

    def _post(client, url, data=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {}, **extra)

    return _post


@pytest.fixture
def people(borrower, linked_loan):
    """The borrower (linked by the fixture), a co-borrower, a view-only and a paying third
    party, each on `linked_loan`."""
    co = UserFactory(full_name="Casey Co")
    viewer = UserFactory(full_name="Vera Viewer")
    payer = UserFactory(full_name="Pat Payer")
    LoanLinkFactory(user=co, loan=linked_loan, role="co_borrower")
    LoanLinkFactory(user=viewer, loan=linked_loan, role="viewer")
    LoanLinkFactory(user=payer, loan=linked_loan, role="payer")
    return {"borrower": borrower, "co_borrower": co, "viewer": viewer, "payer": payer}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pay_through_the_pages(post):
    """pay_through_the_pages(client, loan, method, pay_on=...) -> the $100.00 Payment made."""

    def _pay(client, loan, method, *, pay_on: str) -> Payment:
        start = client.post(
            reverse("payments:pay", args=[loan.pk]),
            {
                "amount_choice": "other",
                "other_amount": "100.00",
                "method": str(method.pk),
                "pay_on": pay_on,
            },
        )
        assert start.status_code == 302, start.content.decode()[:2000]
        done = post(client, start["Location"], {"confirm_duplicate": "on"})
        assert done.status_code == 302
        return Payment.objects.get(reference=done["Location"].rstrip("/").split("/")[-1])

    return _pay


@pytest.fixture
def owners_scheduled(people, linked_loan, add_card, pay_through_the_pages):
    """The borrower's $100.00 payment scheduled for Dec 1, made through the pages."""
    card = add_card("4242424242424242")
    payment = pay_through_the_pages(client_for(people["borrower"]), linked_loan, card, pay_on=LATER)
    assert payment.status == Payment.Status.SCHEDULED
    mail.outbox.clear()
    return payment


def events_of(payment) -> list[tuple]:
    return list(
        PaymentEvent.objects.filter(payment=payment).values_list(
            "from_status", "to_status", "actor_id", "actor_label"
        )
    )


def owner_mail() -> list[tuple[list[str], str]]:
    return sorted((m.to, m.subject) for m in mail.outbox)


# --- finding 4: a view-only third party ---------------------------------------------------------
def test_a_view_only_third_party_cannot_cancel_the_borrowers_scheduled_payment(
    people, owners_scheduled, post
):
    viewer = client_for(people["viewer"])
    before = events_of(owners_scheduled)

    response = post(viewer, reverse("payments:cancel", args=[owners_scheduled.reference]))

    assert response.status_code == 403
    assert "You can't cancel this payment." in html.unescape(response.content.decode())
    owners_scheduled.refresh_from_db()
    assert owners_scheduled.status == Payment.Status.SCHEDULED
    assert (
        events_of(owners_scheduled)
        == before
        == [("", "scheduled", people["borrower"].pk, "borrower")]
    )
    assert not mail.outbox and not Notice.objects.exists()


def test_the_cancel_service_refuses_a_view_only_third_party_under_the_lock(
    people, owners_scheduled
):
    with pytest.raises(NotAllowed, match="can't cancel this payment"):
        payment_cancel_scheduled(payment_id=owners_scheduled.pk, actor=people["viewer"])
    owners_scheduled.refresh_from_db()
    assert owners_scheduled.status == Payment.Status.SCHEDULED
    assert PaymentEvent.objects.filter(payment=owners_scheduled).count() == 1


@pytest.mark.parametrize("who", ["viewer", "payer"])
def test_the_receipt_shows_no_cancel_button_to_a_third_party_on_the_owners_payment(
    people, owners_scheduled, who
):
    page = client_for(people[who]).get(
        reverse("payments:detail", args=[owners_scheduled.reference])
    )
    assert page.status_code == 200
    assert page.context["can_cancel"] is False
    assert "Cancel this payment" not in page.content.decode()


def test_the_owner_sees_the_cancel_button_on_their_scheduled_payment(people, owners_scheduled):
    page = client_for(people["borrower"]).get(
        reverse("payments:detail", args=[owners_scheduled.reference])
    )
    assert page.context["can_cancel"] is True
    assert "Cancel this payment" in page.content.decode()


# --- a paying third party -----------------------------------------------------------------------
def test_a_payer_cannot_cancel_the_owners_scheduled_payment(people, owners_scheduled, post):
    payer = client_for(people["payer"])

    response = post(payer, reverse("payments:cancel", args=[owners_scheduled.reference]))

    assert response.status_code == 403
    owners_scheduled.refresh_from_db()
    assert owners_scheduled.status == Payment.Status.SCHEDULED
    assert events_of(owners_scheduled) == [("", "scheduled", people["borrower"].pk, "borrower")]
    assert not mail.outbox and not Notice.objects.exists()
    with pytest.raises(NotAllowed):
        payment_cancel_scheduled(payment_id=owners_scheduled.pk, actor=people["payer"])


def test_a_payers_payment_is_recorded_as_theirs_and_both_owners_are_emailed(
    people, linked_loan, add_card, pay_through_the_pages
):
    payer = people["payer"]
    card = add_card("5555555555554444", owner=payer)

    payment = pay_through_the_pages(client_for(payer), linked_loan, card, pay_on="2026-11-24")

    assert payment.status == Payment.Status.POSTED
    assert (payment.payer, payment.payer_email) == (payer, payer.email)
    assert events_of(payment)[0] == ("", "submitting", payer.pk, "payer")
    assert SandboxCharge.objects.count() == 1
    subject = "Pat Payer made a payment of $100.00 on your loan"
    assert owner_mail() == sorted(
        [
            ([payer.email], "We received your payment of $100.00"),
            ([people["borrower"].email], subject),
            ([people["co_borrower"].email], subject),
        ]
    )
    to_owner = next(m for m in mail.outbox if m.to == [people["borrower"].email])
    assert payment.reference in to_owner.body and "Mastercard •••• 4444" in to_owner.body
    assert reverse("payments:detail", args=[payment.reference]) in to_owner.body
    assert sorted(
        Notice.objects.filter(kind="payment_third_party_paid").values_list("dedupe_key", flat=True)
    ) == sorted(
        f"payment:{payment.pk}:third_party_paid:owner:{people[who].pk}"
        for who in ("borrower", "co_borrower")
    )


def test_a_payer_cancels_their_own_scheduled_payment_and_both_owners_are_emailed(
    people, linked_loan, add_card, post, pay_through_the_pages
):
    payer = people["payer"]
    card = add_card("5555555555554444", owner=payer)
    client = client_for(payer)
    payment = pay_through_the_pages(client, linked_loan, card, pay_on=LATER)
    assert payment.status == Payment.Status.SCHEDULED
    detail = client.get(reverse("payments:detail", args=[payment.reference]))
    assert detail.context["can_cancel"] is True
    mail.outbox.clear()

    response = post(client, reverse("payments:cancel", args=[payment.reference]), follow=True)

    assert response.status_code == 200
    assert "Your payment is cancelled" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELLED
    assert events_of(payment) == [
        ("", "scheduled", payer.pk, "payer"),
        ("scheduled", "cancelled", payer.pk, "payer"),
    ]
    subject = "Pat Payer cancelled a payment of $100.00 on your loan"
    assert owner_mail() == sorted(
        [([people["borrower"].email], subject), ([people["co_borrower"].email], subject)]
    )
    assert "December 1, 2026" in mail.outbox[0].body
    assert not SandboxCharge.objects.exists()


# --- owners: their role on every event, and no third-party email -------------------------------
def test_a_co_borrowers_payment_event_names_the_co_borrower(
    people, linked_loan, add_card, pay_through_the_pages
):
    co = people["co_borrower"]
    card = add_card("4242424242424242", owner=co)
    payment = pay_through_the_pages(client_for(co), linked_loan, card, pay_on=LATER)
    assert events_of(payment) == [("", "scheduled", co.pk, "co_borrower")]
    assert not [m for m in mail.outbox if "made a payment" in m.subject]  # owners: no notice


def test_an_owner_cancels_the_other_owners_payment_and_the_event_names_them(
    people, owners_scheduled, post
):
    co = people["co_borrower"]
    response = post(client_for(co), reverse("payments:cancel", args=[owners_scheduled.reference]))
    assert response.status_code == 302
    owners_scheduled.refresh_from_db()
    assert owners_scheduled.status == Payment.Status.CANCELLED
    assert events_of(owners_scheduled) == [
        ("", "scheduled", people["borrower"].pk, "borrower"),
        ("scheduled", "cancelled", co.pk, "co_borrower"),
    ]
    # Its payer is told (before, nobody was, and they believed it made: helper-77's review).
    amount = f"${owners_scheduled.amount:,}"
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (
            [people["borrower"].email],
            f"{co.get_full_name()} cancelled a payment of {amount} on your loan",
        )
    ]


def test_an_owner_cannot_cancel_a_third_partys_scheduled_payment(
    people, linked_loan, add_card, post, pay_through_the_pages
):
    card = add_card("5555555555554444", owner=people["payer"])
    payment = pay_through_the_pages(client_for(people["payer"]), linked_loan, card, pay_on=LATER)
    mail.outbox.clear()
    response = post(
        client_for(people["borrower"]), reverse("payments:cancel", args=[payment.reference])
    )
    assert response.status_code == 403
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SCHEDULED
    assert len(events_of(payment)) == 1 and not mail.outbox
