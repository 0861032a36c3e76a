# ruff: noqa: F811 - the enroll fixture imported from autopay_fixtures
import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from autopay_fixtures import enroll  # noqa: F401 - the fixture
from factories import LoanFactory, LoanLinkFactory

from loans.models import Loan


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/help/", "/privacy/", "/accounts/login/", "/accounts/signup/"]
)
def test_public_pages_render_for_anonymous_visitors(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b'name="viewport"' in response.content
    assert b'href="#main"' in response.content  # skip link


@pytest.mark.django_db
def test_dashboard_requires_sign_in(client):
    response = client.get("/loans/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_dashboard_without_loans_shows_the_empty_state(borrower_client):
    response = borrower_client.get("/loans/")
    assert b"No loans linked yet" in response.content


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC), tick=False)
def test_dashboard_shows_a_past_due_loan_with_its_amounts(borrower, borrower_client):
    # $25,000 at 6 % over 60 months, first due 2026-02-05; 8 of 10 due installments paid.
    loan = LoanFactory(
        principal_balance=Decimal("21957.37"),
        interest_accrued_through=dt.date(2026, 9, 5),
        paid_toward_installments=Decimal("3866.56"),
        unpaid_fees=Decimal("25.00"),
    )
    LoanLinkFactory(user=borrower, loan=loan)
    response = borrower_client.get("/loans/")
    text = response.content.decode()
    assert "Past due 50 days" in text  # oldest unpaid: 2026-10-05
    assert "$966.64 is past due" in text  # two installments of $483.32
    # amount due = 3 installments (Oct, Nov, Dec 5) + the $25.00 fee
    assert "$1,474.96" in text
    assert loan.vehicle in text


# The loans, the user's session and links (6), what is on the way (2, payments/upcoming.py) and
# the header's unread badges (1): the same whatever the number of loans.
DASHBOARD_QUERIES = 9
# The loan page: 5 (measured) and what is on the way (2, payments/upcoming.py).
LOAN_PAGE_QUERIES = 7


@pytest.mark.django_db
def test_dashboard_queries_stay_constant_as_loans_are_added(
    borrower, borrower_client, django_assert_max_num_queries
):
    for _ in range(5):
        LoanLinkFactory(user=borrower)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = borrower_client.get("/loans/")
    assert response.content.decode().count('class="card__title"') == Loan.objects.count()


@pytest.mark.django_db
def test_dashboard_never_shows_another_borrowers_loan(borrower_client):
    other = LoanLinkFactory()
    response = borrower_client.get("/loans/")
    assert other.loan.loan_number.encode() not in response.content


@pytest.mark.django_db
def test_dashboard_shows_autopay_on_with_a_manage_link_in_the_same_queries(
    borrower, borrower_client, linked_loan, add_card, django_assert_max_num_queries
):
    from payments.autopay.schedule import PlanTerms
    from payments.autopay.services import autopay_enroll

    for _ in range(3):
        LoanLinkFactory(user=borrower)
    autopay_enroll(
        user=borrower,
        loan_id=linked_loan.pk,
        method=add_card("4242424242424242"),
        ip_address="203.0.113.9",
        user_agent="pytest",
        now=dt.datetime(2026, 11, 24, 15, tzinfo=dt.UTC),
        terms=PlanTerms(
            schedule="monthly_due", amount_rule="installment", start_date=dt.date(2026, 11, 24)
        ),
    )
    with django_assert_max_num_queries(DASHBOARD_QUERIES):  # autopay is in the loans query
        text = borrower_client.get("/loans/").content.decode()
    setup = f'href="/payments/autopay/{linked_loan.pk}/setup/"'
    assert f'<dd>On · <a class="tap" {setup}>Manage<span' in text
    assert text.count(">Set up<span") == 3  # the three loans without a plan


@pytest.mark.django_db
def test_dashboard_says_a_paused_autopay_is_paused_and_names_the_next_debit_once(
    borrower, borrower_client, linked_loan, add_card, enroll
):
    """Before: a paused plan read "Autopay Off · Set up", and an active one's next debit was
    said twice ("Autopay will debit …" and "Next autopay debit: …")."""
    from payments.autopay.services import autopay_pause

    now = dt.datetime(2026, 11, 24, 15, tzinfo=dt.UTC)
    plan = enroll(linked_loan, add_card("4242424242424242"), now=now)
    setup = f'href="/payments/autopay/{linked_loan.pk}/setup/"'
    with time_machine.travel(now, tick=False):
        active = borrower_client.get("/loans/").content.decode()
        autopay_pause(plan_id=plan.pk, user=borrower, now=now)
        paused = borrower_client.get("/loans/").content.decode()

    assert "Autopay will debit $483.32 on Dec 4" in active
    assert "Next autopay debit" not in active
    assert f'<dd>Paused · <a class="tap" {setup}>Manage<span' in paused
    assert "Autopay will debit" not in paused


@pytest.mark.django_db
def test_the_loan_page_says_what_autopay_will_debit_in_constant_queries(
    borrower_client, linked_loan, add_card, enroll, django_assert_max_num_queries
):
    """The loan page says what the dashboard says: autopay's next debit and its state, with
    the link to manage it. Before, the loan page never mentioned autopay."""
    now = dt.datetime(2026, 11, 24, 15, tzinfo=dt.UTC)
    url = f"/loans/{linked_loan.pk}/"
    with time_machine.travel(now, tick=False):
        before = borrower_client.get(url).content.decode()
        enroll(linked_loan, add_card("4242424242424242"), now=now)
        with django_assert_max_num_queries(LOAN_PAGE_QUERIES):
            after = borrower_client.get(url).content.decode()

    setup = f'href="/payments/autopay/{linked_loan.pk}/setup/"'
    assert f'<dd>Off · <a class="tap" {setup}>Set up<span' in before
    assert "Autopay will debit $483.32 on Dec 4 — nothing more to pay" in after
    assert f'<dd>On · <a class="tap" {setup}>Manage<span' in after
