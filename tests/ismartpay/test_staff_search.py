"""Issue 13, "Dashboard and search": the staff find a borrower, a loan or a payment by email,
name, phone, loan number, VIN last 6, payment reference and card/account last 4 — in the
global search and in the changelists — and never see or match a full card or account number."""

import re

import pytest
from staff_dashboard_fixture import small_book
from staff_helpers import make_staff, staff_client

from accounts.models import AuditEvent
from accounts.roles import SUPERVISOR, SUPPORT_AGENT
from ismartpay.staff_search import holds_full_number, redact, staff_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    return small_book(make_staff(SUPPORT_AGENT), make_staff(SUPERVISOR))


def found(results):
    return {
        "borrowers": sorted(u.email for u in results.borrowers),
        "loans": sorted(loan.loan_number for loan in results.loans),
        "payments": sorted(p.reference for p in results.payments),
        "methods": sorted(m.label for m in results.methods),
    }


def refs(*payments):
    return sorted(p.reference for p in payments)


def test_by_email_finds_the_borrower_and_their_loan(book):
    assert found(staff_search("DANA.fixture@example.com")) == {
        "borrowers": ["dana.fixture@example.com"],
        "loans": ["HAC-1001"],
        "payments": [],
        "methods": [],
    }


def test_by_name_finds_the_borrower_and_their_loan(book):
    assert found(staff_search("marrow")) == {
        "borrowers": ["lee.fixture@example.com"],
        "loans": ["HAC-1002"],
        "payments": [],
        "methods": [],
    }


@pytest.mark.parametrize("typed", ["5553091144", "555-309-1144", "(555) 309 1144"])
def test_by_phone_in_any_format(book, typed):
    assert found(staff_search(typed))["borrowers"] == ["lee.fixture@example.com"]
    assert found(staff_search(typed))["loans"] == ["HAC-1002"]


def test_by_loan_number(book):
    assert found(staff_search("hac-1003")) == {
        "borrowers": [],
        "loans": ["HAC-1003"],
        "payments": [],
        "methods": [],
    }


def test_by_vin_last_6(book):
    assert found(staff_search("654321"))["loans"] == ["HAC-1002"]
    assert found(staff_search("654321"))["borrowers"] == []


def test_by_payment_reference_and_channel_reference(book):
    assert found(staff_search(book.check.reference)) == {
        "borrowers": [],
        "loans": ["HAC-1002"],
        "payments": [book.check.reference],
        "methods": [],
    }
    assert found(staff_search("FED20261124A"))["payments"] == [book.wire.reference]


def test_by_card_last_4_finds_the_card_its_owner_loans_and_payments(book):
    result = found(staff_search("4242"))
    paid_by_card = book.card.payments.all()

    assert result == {
        "borrowers": ["dana.fixture@example.com"],
        "loans": ["HAC-1001"],
        "payments": refs(*paid_by_card),
        "methods": ["Visa •••• 4242"],
    }
    assert len(result["payments"]) == 3


def test_by_bank_account_last_4(book):
    result = found(staff_search("6789"))

    assert result["methods"] == ["Checking •••• 6789"]
    assert result["borrowers"] == ["dana.fixture@example.com"]
    assert result["payments"] == refs(*book.bank.payments.all())


def test_a_full_card_or_account_number_is_refused_and_never_shown(book):
    for typed in (
        "4242 4242 4242 4242",
        "000123456789",
        "4000-0000-0000-0002",
        "4242.4242.4242.4242",
    ):
        result = staff_search(typed)
        assert result.refused and result.empty
        assert re.sub(r"\D", "", result.query) == typed.replace(" ", "").replace("-", "")[-4:]


def test_full_number_rules():
    assert holds_full_number("4242424242424242") and holds_full_number("0001 2345 6789")
    assert not holds_full_number("555-309-1144") and not holds_full_number("4242")
    assert redact("card 4242424242424242") == "card •••• 4242"
    assert redact("card 4242.4242.4242.4242") == "card •••• 4242"


def test_the_search_page_shows_last_4_only_and_is_audited(book):
    agent = make_staff(SUPPORT_AGENT)
    client = staff_client(agent)

    html = client.get("/admin/search/", {"q": "6789"}).content.decode()

    assert "Checking •••• 6789" in html and "dana.fixture@example.com" in html
    assert "000123456789" not in html and "123456789" not in html
    event = AuditEvent.objects.get(action="admin.search", actor=agent)
    assert event.details == {
        "q": "6789",
        "refused": False,
        "borrowers": 1,
        "loans": 1,
        "payments": 1,
        "methods": 1,
    }


def test_a_full_number_typed_into_the_search_page_is_not_echoed_or_logged(book):
    agent = make_staff(SUPPORT_AGENT)
    client = staff_client(agent)

    html = client.get("/admin/search/", {"q": "000123456789"}).content.decode()

    assert "000123456789" not in html and "full card and account numbers" in html
    assert AuditEvent.objects.get(action="admin.search").details["q"] == "•••• 6789"


def changelist(client, url, q=""):
    """The pks listed by a changelist at `url` (its filters in the query string) for `q`."""
    path, _, filters = url.partition("?")
    query = dict(pair.split("=") for pair in filters.split("&") if pair)
    html = client.get(path, {**query, **({"q": q} if q else {})}).content.decode()
    return re.findall(r'<th class="field-\w+"><a href="[^"]+/(\d+)/change/', html)


def test_changelists_search_by_each_key(book):
    client = staff_client(make_staff(SUPPORT_AGENT))
    loans = "/admin/loans/loan/"
    payments = "/admin/payments/payment/"
    users = "/admin/accounts/user/"
    methods = "/admin/payments/paymentmethod/"
    b = book

    assert changelist(client, loans, "Quill") == [str(b.current.pk)]
    assert changelist(client, loans, "555-309-1144") == [str(b.late_19.pk)]
    assert changelist(client, loans, "777888") == [str(b.late_50.pk)]
    assert changelist(client, loans, b.wire.reference) == [str(b.late_50.pk)]
    assert set(changelist(client, loans, "4444")) == {str(b.late_19.pk), str(b.late_50.pk)}
    assert changelist(client, payments, "1234") == [str(b.check.pk)]
    assert set(changelist(client, payments, "4444")) == {
        str(p.pk) for p in b.lee_card.payments.all()
    }
    assert set(changelist(client, users, "4242")) == {str(b.dana.pk)}
    assert set(changelist(client, users, "HAC-1002")) == {str(b.lee.pk)}
    assert set(changelist(client, methods, "6789")) == {str(b.bank.pk)}
    assert set(changelist(client, methods, "Marrow")) == {str(b.lee_card.pk)}


def test_changelists_never_match_a_full_number(book):
    client = staff_client(make_staff(SUPPORT_AGENT))

    for url in ("/admin/payments/paymentmethod/", "/admin/payments/payment/", "/admin/loans/loan/"):
        assert changelist(client, url, "000123456789") == []


def test_changelist_filters_by_status_lender_channel_and_date(book):
    client = staff_client(make_staff(SUPPORT_AGENT))
    lender = book.current.lender_id
    url = "/admin/payments/payment/"

    checks = changelist(client, url + f"?channel__exact=check&loan__lender__id__exact={lender}", "")
    held = changelist(client, url + "?status__exact=held", "")
    yesterday = changelist(
        client, url + "?effective_date__gte=2026-11-23&effective_date__lt=2026-11-24", ""
    )

    assert len(checks) == 2  # the check posted today and the reversed one
    assert len(held) == 1
    assert len(yesterday) == 2  # the pending bank debit and the card payment posted yesterday
