"""Issue 13, "Dashboard and search": the staff home page's figures, to the cent, in a constant
number of queries, for support agents and supervisors only."""

from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from staff_dashboard_fixture import TODAY, loan_paid_through, small_book
from staff_helpers import NOW, make_staff, staff_client

from accounts.roles import SUPERVISOR, SUPPORT_AGENT
from ismartpay.staff_dashboard import Figure, dpd_bucket, loans_past_due_by_bucket, staff_dashboard

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    agent, supervisor = make_staff(SUPPORT_AGENT), make_staff(SUPERVISOR)
    return small_book(agent, supervisor), agent, supervisor


def test_todays_payments_are_counted_by_channel_to_the_cent(book):
    d = staff_dashboard(today=TODAY)

    assert [(f.key, f.count, f.amount) for f in d.payments_by_channel] == [
        ("wire", 1, Decimal("1000.00")),
        ("check", 1, Decimal("300.00")),
        ("portal", 2, Decimal("150.25")),
    ]
    assert (d.payments_total.count, d.payments_total.amount) == (4, Decimal("1450.25"))


def test_declines_are_grouped_by_reason_in_plain_words(book):
    d = staff_dashboard(today=TODAY)

    assert d.failures_by_reason == [
        Figure("Not enough funds", 1, Decimal("75.00"), key="insufficient_funds")
    ]


def test_waiting_work_pending_debits_held_requests_and_suspense(book):
    d = staff_dashboard(today=TODAY)

    assert (d.pending_bank_debits.count, d.pending_bank_debits.amount) == (1, Decimal("200.00"))
    assert (d.held_for_review.count, d.held_for_review.amount) == (1, Decimal("2500.00"))
    assert (d.open_requests.count, d.open_requests.amount) == (1, Decimal("150.00"))
    assert (d.suspense.count, d.suspense.amount) == (1, Decimal("60.00"))


def test_the_last_run_of_each_job_is_shown_with_its_counts_and_status(book):
    d = staff_dashboard(today=TODAY)

    assert [(j.job, j.status, j.counts) for j in d.jobs] == [
        (
            "run_autopay",
            "finished",
            {"due": 5, "charged": 4, "failed": 1, "skipped": 0, "retried": 2},
        ),
        (
            "settle_payments",
            "failed",
            {"due": 3, "charged": 1, "failed": 0, "skipped": 0, "retried": 0},
        ),
    ]


def test_loans_past_due_are_bucketed_by_days_with_the_amount_past_due(book):
    buckets = loans_past_due_by_bucket(on=TODAY)

    assert [(f.label, f.count, f.amount) for f in buckets] == [
        ("1–29", 1, Decimal("483.32")),  # HAC-1002: Nov 5 unpaid, 19 days
        ("30–59", 1, Decimal("966.64")),  # HAC-1003: Oct 5 and Nov 5 unpaid, 50 days
        ("60–89", 0, Decimal("0.00")),
        ("90+", 0, Decimal("0.00")),
    ]


def test_bucket_edges():
    assert [dpd_bucket(d) for d in (0, 1, 29, 30, 59, 60, 89, 90, 400)] == [
        None,
        "1–29",
        "1–29",
        "30–59",
        "30–59",
        "60–89",
        "60–89",
        "90+",
        "90+",
    ]


def test_the_dashboard_reads_in_a_constant_number_of_queries(book, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as small:
        staff_dashboard(today=TODAY)
    for n in range(8):  # more loans, payments and jobs: the same queries
        loan = loan_paid_through(n % 3 + 7)
        book[0].wire.pk = None
        book[0].wire.reference = f"PMORE{n:04d}-XYZ"
        book[0].wire.idempotency_key = f"more:{n}"
        book[0].wire.loan = loan
        book[0].wire.save()
    with django_assert_max_num_queries(6):
        staff_dashboard(today=TODAY)
    assert len(small.captured_queries) == 6


@pytest.mark.parametrize("role", [SUPPORT_AGENT, SUPERVISOR])
def test_agents_and_supervisors_see_the_figures_on_the_admin_home_page(book, role):
    client = staff_client(make_staff(role))
    with time_machine.travel(NOW, tick=False):
        index = client.get("/admin/")
        page = client.get("/admin/dashboard/")

    for response in (index, page):
        assert response.status_code == 200
        html = response.content.decode()
        assert "Today, Tuesday, November 24, 2026" in html
        assert "$1,450.25" in html and "Not enough funds" in html
        assert (
            'data-bucket="30–59"><td>30–59</td><td class="num">1</td><td class="num">$966.64'
            in html
        )


def test_plain_staff_without_view_permission_get_no_dashboard(book):
    client = staff_client(make_staff())

    with time_machine.travel(NOW, tick=False):
        assert client.get("/admin/dashboard/").status_code == 403
        assert client.get("/admin/search/?q=4242").status_code == 403
        index = client.get("/admin/")
    assert index.status_code == 200
    assert "Payments today" not in index.content.decode()


def test_signed_in_without_the_second_factor_the_dashboard_redirects(client, book):
    agent = make_staff(SUPPORT_AGENT)
    client.force_login(agent)

    response = client.get("/admin/dashboard/")

    assert response.status_code == 302
    assert "/dashboard/" not in response["Location"].split("?")[0]
