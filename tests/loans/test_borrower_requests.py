"""Issue 14, Requests: a borrower's due-date change and payment extension. The rules are pure
(loans/request_rules.py); the quote is exact to the cent; applying goes through the staff
servicing service, so the dashboard, the calendar feed and autopay all move, and the borrower
is emailed once."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from factories import LoanFactory, LoanLinkFactory
from staff_helpers import NOW, TODAY

from accounts.models import AuditEvent
from loans import calendar_feeds
from loans.borrower_requests import (
    borrower_request_decide,
    borrower_request_submit,
    due_day_quote,
    extension_quote,
)
from loans.models import BorrowerRequest
from loans.request_rules import (
    ExtensionPolicy,
    RequestRefused,
    check_due_day_choice,
    due_day_change_reasons,
    extension_reasons,
)
from loans.selectors import loan_summary
from payments.autopay import schedule as sched
from payments.autopay.services import autopay_enroll
from payments.models import Notice

DEC_5 = dt.date(2026, 12, 5)  # linked_loan's next due date (a Saturday)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


# --- due-date change: the pure rule ----------------------------------------------------------
def test_a_current_loan_far_from_its_due_date_is_approved_automatically():
    assert (
        due_day_change_reasons(
            is_past_due=False, next_due_date=DEC_5, last_change_on=None, today=TODAY
        )
        == []
    )


def test_a_past_due_loan_goes_to_staff():
    assert due_day_change_reasons(
        is_past_due=True, next_due_date=DEC_5, last_change_on=None, today=TODAY
    ) == ["Your account is past due. Bring it current first."]


def test_within_2_business_days_of_the_due_date_goes_to_staff():
    # Thu Dec 3 + 2 business days = Mon Dec 7, past the Sat Dec 5 due date: too close.
    assert due_day_change_reasons(
        is_past_due=False, next_due_date=DEC_5, last_change_on=None, today=dt.date(2026, 12, 3)
    ) == ["Your next payment is due Dec 5, within 2 business days. Ask again after it is paid."]
    # Wed Dec 2 + 2 business days = Fri Dec 4: still before the due date.
    assert (
        due_day_change_reasons(
            is_past_due=False, next_due_date=DEC_5, last_change_on=None, today=dt.date(2026, 12, 2)
        )
        == []
    )


def test_thanksgiving_is_not_a_business_day_when_counting_to_the_due_date():
    # Tue Nov 24 + 2 business days skips Thu Nov 26 (holiday): Fri Nov 27 = the due date.
    assert (
        len(
            due_day_change_reasons(
                is_past_due=False,
                next_due_date=dt.date(2026, 11, 27),
                last_change_on=None,
                today=TODAY,
            )
        )
        == 1
    )


def test_a_second_change_within_12_months_goes_to_staff_and_is_allowed_after():
    last = dt.date(2025, 12, 1)
    assert due_day_change_reasons(
        is_past_due=False, next_due_date=None, last_change_on=last, today=dt.date(2026, 11, 30)
    ) == [
        "Your due date changed on Dec 1, 2025; you can change it once every 12 months "
        "(next from Dec 1, 2026)."
    ]
    assert (
        due_day_change_reasons(
            is_past_due=False, next_due_date=None, last_change_on=last, today=dt.date(2026, 12, 1)
        )
        == []
    )


@pytest.mark.parametrize("day", [29, 30, 31, 0, 32])
def test_a_due_day_of_29_to_31_is_refused_outright(day):
    with pytest.raises(RequestRefused):
        check_due_day_choice(current_due_day=5, new_due_day=day)


def test_day_28_is_allowed_and_the_current_day_is_refused():
    check_due_day_choice(current_due_day=5, new_due_day=28)
    with pytest.raises(RequestRefused, match="already due on day 5"):
        check_due_day_choice(current_due_day=5, new_due_day=5)


# --- extension: each lender rule -------------------------------------------------------------
POLICY = ExtensionPolicy(
    max_per_loan=2, max_per_12_months=1, min_payments_made=6, max_days_past_due=30, max_months=1
)


def _ext(**overrides):
    args = dict(
        policy=POLICY,
        months=1,
        extensions_granted=[],
        payments_made=10,
        days_past_due=0,
        installments_left=50,
        today=TODAY,
    )
    return extension_reasons(**(args | overrides))


def test_an_extension_within_every_lender_limit_is_approved_automatically():
    assert _ext() == []


def test_extension_longer_than_the_lenders_months_goes_to_staff():
    assert _ext(months=2) == ["One extension can defer at most 1 month."]


def test_extension_beyond_the_per_loan_limit_goes_to_staff():
    granted = [dt.date(2024, 1, 10), dt.date(2025, 1, 10)]
    assert _ext(extensions_granted=granted) == [
        "This loan already had 2 extensions; the limit is 2."
    ]


def test_extension_beyond_the_12_month_limit_goes_to_staff_and_not_after_a_year():
    assert _ext(extensions_granted=[dt.date(2025, 11, 25)]) == [
        "You had 1 extension in the last 12 months; the limit is 1."
    ]
    assert _ext(extensions_granted=[dt.date(2025, 11, 24)]) == []


def test_extension_before_enough_payments_goes_to_staff():
    assert _ext(payments_made=5) == ["An extension needs 6 payments made; you have made 5."]
    assert _ext(payments_made=6) == []


def test_extension_too_far_past_due_goes_to_staff():
    assert _ext(days_past_due=31) == [
        "Your account is 31 days past due; an extension needs it at most 30 days past due."
    ]
    assert _ext(days_past_due=30) == []


# --- quotes, exact to the cent ---------------------------------------------------------------
@pytest.mark.django_db
def test_due_day_quote_shows_new_dates_interest_effect_and_next_payment(linked_loan):
    quote = due_day_quote(linked_loan, new_due_day=20, today=TODAY)

    assert quote.next_due_before == DEC_5
    assert quote.next_due_after == dt.date(2026, 12, 20)
    assert quote.upcoming == [dt.date(2026, 12, 20), dt.date(2027, 1, 20), dt.date(2027, 2, 20)]
    assert quote.shift_days == 15
    # 15 days x $21,335.10 x 6 % / 365 = $52.607… → $52.61 more interest by that payment.
    assert quote.interest_effect == Decimal("52.61")
    assert quote.next_payment == Decimal("483.32")
    assert quote.reasons == []


@pytest.mark.django_db
def test_extension_quote_shows_accruing_interest_new_maturity_and_final_payment(linked_loan):
    quote = extension_quote(linked_loan, months=1, today=TODAY)

    assert (quote.next_due_before, quote.next_due_after) == (DEC_5, dt.date(2027, 1, 5))
    assert (quote.maturity_before, quote.maturity_after) == (
        dt.date(2031, 1, 5),
        dt.date(2031, 2, 5),
    )
    assert quote.per_diem == Decimal("3.51")
    assert quote.final_payment_before == Decimal("483.63")
    assert quote.final_payment_after == Decimal("620.01")
    # A month more of interest (31 days x $3.507 = $108.72) and what it costs over 49 months.
    assert quote.extra_interest == Decimal("136.38")
    assert quote.reasons == []


# --- applying: dashboard, calendar feed, autopay, one email -----------------------------------
@pytest.fixture
def plan(linked_loan, borrower, add_card):
    return autopay_enroll(
        user=borrower,
        loan_id=linked_loan.pk,
        method=add_card("4242424242424242"),
        terms=sched.PlanTerms(schedule="monthly_due", amount_rule="installment", start_date=TODAY),
        ip_address="203.0.113.9",
        user_agent="pytest",
        now=NOW,
    )


def _feed(client, borrower):
    token = calendar_feeds.calendar_feed_rotate(user=borrower)
    return client.get(f"/loans/calendar/{token}.ics").content.decode()


@pytest.mark.django_db
def test_an_eligible_due_day_change_moves_dashboard_feed_and_autopay_and_emails_once(
    linked_loan, borrower, plan, client
):
    assert plan.next_run_date == dt.date(2026, 12, 4)  # Sat Dec 5 → Fri Dec 4
    mail.outbox.clear()

    request = borrower_request_submit(
        user=borrower, loan_id=linked_loan.pk, kind="due_day", due_day=20, today=TODAY
    )

    request.refresh_from_db()
    assert (request.status, request.applied_on, request.decided_by) == ("applied", TODAY, None)
    linked_loan.refresh_from_db()
    assert (linked_loan.due_day, linked_loan.first_due_date) == (20, dt.date(2026, 2, 20))
    assert loan_summary(linked_loan, today=TODAY).next_due_date == dt.date(2026, 12, 20)
    feed = _feed(client, borrower)
    assert "DTSTART;VALUE=DATE:20261220" in feed
    assert "DTSTART;VALUE=DATE:20261205" not in feed
    plan.refresh_from_db()
    assert plan.next_run_date == dt.date(2026, 12, 18)  # Sun Dec 20 → Fri Dec 18
    assert [m.subject for m in mail.outbox] == ["Your due-date change is done: your new terms"]
    assert "Next payment: $483.32 due 2026-12-20 (was 2026-12-05)" in mail.outbox[0].body
    assert Notice.objects.filter(dedupe_key=f"borrower_request:{request.pk}:applied").count() == 1
    audit = AuditEvent.objects.get(action="loan.borrower_request.due_day")
    assert audit.details["after"]["due_day"] == 20


@pytest.mark.django_db
def test_a_second_change_in_12_months_waits_for_staff_and_changes_nothing(linked_loan, borrower):
    borrower_request_submit(
        user=borrower, loan_id=linked_loan.pk, kind="due_day", due_day=20, today=TODAY
    )
    mail.outbox.clear()

    second = borrower_request_submit(
        user=borrower, loan_id=linked_loan.pk, kind="due_day", due_day=10, today=TODAY
    )

    assert second.status == "pending"
    assert second.reasons == [
        "Your due date changed on Nov 24, 2026; you can change it once every 12 months "
        "(next from Nov 24, 2027)."
    ]
    linked_loan.refresh_from_db()
    assert linked_loan.due_day == 20
    assert [m.subject for m in mail.outbox] == ["We received your due-date change request"]
    with pytest.raises(RequestRefused, match="already have a request"):
        borrower_request_submit(
            user=borrower, loan_id=linked_loan.pk, kind="due_day", due_day=12, today=TODAY
        )
    assert BorrowerRequest.objects.filter(status="pending").count() == 1


@pytest.mark.django_db
def test_staff_approve_a_pending_request_through_the_service_once(linked_loan, borrower):
    from staff_helpers import make_staff

    pending = BorrowerRequest.objects.create(
        kind="due_day", loan=linked_loan, requested_by=borrower, due_day=15, reasons=["x"]
    )
    staff = make_staff(superuser=True)
    mail.outbox.clear()

    borrower_request_decide(request_id=pending.pk, actor=staff, approve=True, on=TODAY)
    with pytest.raises(RequestRefused):
        borrower_request_decide(request_id=pending.pk, actor=staff, approve=True, on=TODAY)

    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == ("applied", staff)
    linked_loan.refresh_from_db()
    assert linked_loan.due_day == 15
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="loan.borrower_request.due_day").count() == 1


@pytest.mark.django_db
def test_an_eligible_extension_defers_the_next_payment_to_the_end(
    linked_loan, borrower, plan, client
):
    mail.outbox.clear()

    request = borrower_request_submit(
        user=borrower, loan_id=linked_loan.pk, kind="extension", months=1, today=TODAY
    )

    assert request.status == "applied"
    linked_loan.refresh_from_db()
    assert (linked_loan.first_due_date, linked_loan.term_months) == (dt.date(2026, 3, 5), 60)
    assert loan_summary(linked_loan, today=TODAY).next_due_date == dt.date(2027, 1, 5)
    assert request.change["after"]["maturity"] == "2031-02-05"
    feed = _feed(client, borrower)
    assert "DTSTART;VALUE=DATE:20270105" in feed
    assert "DTSTART;VALUE=DATE:20261205" not in feed
    plan.refresh_from_db()
    assert plan.next_run_date == dt.date(2027, 1, 5)
    assert [m.subject for m in mail.outbox] == ["Your payment extension is done: your new terms"]
    assert "Your loan now ends on 2031-02-05 (was 2031-01-05)." in mail.outbox[0].body


@pytest.mark.django_db
def test_an_extension_before_six_payments_waits_for_staff(borrower):
    loan = LoanFactory()  # no payments made yet
    LoanLinkFactory(user=borrower, loan=loan)

    request = borrower_request_submit(
        user=borrower, loan_id=loan.pk, kind="extension", months=1, today=TODAY
    )

    assert request.status == "pending"
    assert request.reasons == [
        "An extension needs 6 payments made; you have made 0.",
        "Your account is 292 days past due; an extension needs it at most 30 days past due.",
    ]
    loan.refresh_from_db()
    assert loan.first_due_date == dt.date(2026, 2, 5)


# --- the pages -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_due_date_page_quotes_then_confirms(linked_loan, borrower_client):
    page = borrower_client.get(f"/loans/{linked_loan.pk}/due-date/?due_day=20")
    assert page.status_code == 200
    assert page.context["quote"].next_due_after == dt.date(2026, 12, 20)
    linked_loan.refresh_from_db()
    assert linked_loan.due_day == 5  # a quote changes nothing

    done = borrower_client.post(f"/loans/{linked_loan.pk}/due-date/", {"due_day": "20"})

    assert done.status_code == 302
    linked_loan.refresh_from_db()
    assert linked_loan.due_day == 20


@pytest.mark.django_db
def test_day_31_is_refused_next_to_the_field_and_nothing_is_recorded(linked_loan, borrower_client):
    page = borrower_client.post(f"/loans/{linked_loan.pk}/due-date/", {"due_day": "31"})

    assert page.status_code == 200
    assert "due_day" in page.context["form"].errors
    assert not BorrowerRequest.objects.exists()


@pytest.mark.django_db
def test_a_viewer_or_a_stranger_gets_404_and_nothing_changes(linked_loan, client):
    from factories import UserFactory

    viewer = UserFactory()
    LoanLinkFactory(user=viewer, loan=linked_loan, role="viewer")
    for user in (viewer, UserFactory()):
        client.force_login(user)
        for path in ("due-date/", "extension/"):
            assert client.get(f"/loans/{linked_loan.pk}/{path}").status_code == 404
            response = client.post(f"/loans/{linked_loan.pk}/{path}", {"months": "1"})
            assert response.status_code == 404
    assert not BorrowerRequest.objects.exists()


@pytest.mark.django_db
def test_the_what_if_page_shows_the_extension_scenario(linked_loan, borrower_client):
    page = borrower_client.get(f"/loans/{linked_loan.pk}/what-if/?defer_months=1")

    comparison = page.context["comparison"]
    # The baseline follows the contract (its last installment, Jan 5 2031, absorbs the rest);
    # the deferral moves every later installment, that one included, a month later.
    assert comparison.months_saved == -1
    assert (comparison.baseline.payoff_date, comparison.scenario.payoff_date) == (
        dt.date(2031, 1, 5),
        dt.date(2031, 2, 5),
    )
    # the same extra interest as the extension quote (test above): one set of loan maths
    assert comparison.interest_saved == Decimal("-136.38")


@pytest.mark.django_db
def test_staff_approve_a_pending_request_in_the_admin(linked_loan, borrower):
    from staff_helpers import make_staff, staff_client

    from accounts.roles import SUPERVISOR

    pending = BorrowerRequest.objects.create(
        kind="extension", loan=linked_loan, requested_by=borrower, months=2, reasons=["x"]
    )
    response = staff_client(make_staff(SUPERVISOR)).post(
        "/admin/loans/borrowerrequest/",
        {"action": "approve_selected", "_selected_action": [pending.pk]},
    )

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "applied"
    linked_loan.refresh_from_db()
    assert linked_loan.first_due_date == dt.date(2026, 4, 5)
