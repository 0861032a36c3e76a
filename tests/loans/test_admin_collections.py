"""The collections pages as a new collector uses them (staff-console review): money in the one
format, dates on the lender's business date, the borrower's name and phone in the queue, the
forms take the loan number, and the loan's page opens them with the loan filled in."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from factories import LoanFactory, LoanLinkFactory, UserFactory
from staff_helpers import NOW, form_token, make_staff, staff_client

from accounts.roles import SUPERVISOR, SUPPORT_AGENT
from loans.collections import collections_run, promise_add
from loans.models import AccountFlag, ContactNote, PromiseToPay

pytestmark = pytest.mark.django_db

INSTALLMENT = Decimal("483.32")
NOV_24 = dt.date(2026, 11, 24)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def late_loan(**extra):
    """Installment 10 (due Nov 5, 2026) unpaid: 19 days past due on Nov 24."""
    return LoanFactory(
        principal_balance=Decimal("21743.46"),
        interest_accrued_through=dt.date(2026, 10, 5),
        paid_toward_installments=9 * INSTALLMENT,
        **extra,
    )


def test_the_queue_shows_money_formatted_the_contact_on_the_business_date_and_the_borrower(
    frozen,
):
    loan = late_loan(loan_number="DA-1")
    borrower = UserFactory(full_name="Dana Alvarez", phone="(555) 309-1144")
    LoanLinkFactory(loan=loan, user=borrower, role="borrower")
    agent = make_staff(SUPPORT_AGENT)
    collections_run(on=NOV_24)
    promise_add(
        loan_id=loan.pk,
        promised_date=dt.date(2026, 12, 4),
        amount=Decimal("1573.59"),
        actor=agent,
        on=NOV_24,
    )
    # 10:52 pm in New York on Nov 23 is 03:52 UTC on Nov 24.
    note = ContactNote.objects.create(
        loan=loan, channel="call", outcome="reached", text="Called", author=agent
    )
    ContactNote.objects.filter(pk=note.pk).update(
        created_at=dt.datetime(2026, 11, 24, 3, 52, tzinfo=dt.UTC)
    )

    page = staff_client(agent).get("/admin/loans/delinquencysnapshot/").content.decode()

    assert "$1,573.59 by 2026-12-04" in page
    assert "2026-11-23 (Reached the borrower)" in page
    assert "Dana Alvarez" in page and "(555) 309-1144" in page


def test_a_contact_notes_title_on_the_loan_page_is_the_lenders_business_date(frozen):
    loan = late_loan(loan_number="DA-2")
    note = ContactNote.objects.create(
        loan=loan, channel="call", outcome="reached", text="Called", author=make_staff()
    )
    note.created_at = dt.datetime(2026, 11, 24, 3, 52, tzinfo=dt.UTC)
    assert str(note) == f"{loan} Call 2026-11-23"


def test_the_note_promise_and_flag_forms_take_the_loan_number(frozen):
    loan = late_loan(loan_number="DA-3")
    client = staff_client(make_staff(SUPERVISOR))

    note = client.post(
        "/admin/loans/contactnote/add/",
        {"loan_number": "DA-3", "channel": "call", "outcome": "reached", "text": "Called"},
    )
    promise = client.post(
        "/admin/loans/promisetopay/add/",
        {"loan_number": "DA-3", "promised_date": "2026-12-01", "amount": "483.32"},
    )
    flag = client.post(
        "/admin/loans/accountflag/add/",
        {
            "loan_number": "DA-3",
            "kind": "bankruptcy",  # changes no money: one supervisor (hardship is four-eyed)
            "start_date": "2026-11-24",
            "reason": "Chapter 13 filing notice received",
            "submit_token": form_token(),
        },
    )
    unknown = client.post(
        "/admin/loans/contactnote/add/",
        {"loan_number": "NOPE", "channel": "call", "outcome": "reached", "text": "Called"},
    )

    assert (note.status_code, promise.status_code, flag.status_code) == (302, 302, 302)
    assert list(ContactNote.objects.values_list("loan", flat=True)) == [loan.pk]
    assert list(PromiseToPay.objects.values_list("loan", flat=True)) == [loan.pk]
    assert list(AccountFlag.objects.values_list("loan", flat=True)) == [loan.pk]
    assert "No loan numbered NOPE." in unknown.content.decode()
    form = client.get("/admin/loans/contactnote/add/?loan_number=DA-3").content.decode()
    assert "Loan number" in form and 'value="DA-3"' in form and "Loan id" not in form


def test_the_loan_page_links_to_the_note_promise_flag_and_money_forms_for_this_loan(frozen):
    loan = late_loan(loan_number="DA-4")
    client = staff_client(make_staff(SUPERVISOR))
    page = client.get(f"/admin/loans/loan/{loan.pk}/change/").content.decode()
    for label, url in (
        ("Add note", "/admin/loans/contactnote/add/?loan_number=DA-4"),
        ("Promise to pay", "/admin/loans/promisetopay/add/?loan_number=DA-4"),
        ("Set flag", "/admin/loans/accountflag/add/?loan_number=DA-4"),
        ("Record payment", "/admin/payments/payment/record/?loan_number=DA-4"),
        ("Phone payment", "/admin/payments/payment/phone/?loan_number=DA-4"),
    ):
        assert f'href="{url}&amp;lender={loan.lender_id}">{label}</a>' in page


def test_a_bankrupt_loan_is_marked_do_not_collect_and_takes_no_promise(frozen):
    """New-user review, round 2: an agent took a promise to pay on a loan a supervisor had just
    flagged bankrupt, and the queue showed no flag. The automatic stay (11 U.S.C. § 362(a)(6))
    stops collecting: the queue says "Bankruptcy: do not collect" and offers no promise link,
    and the promise service refuses one."""
    from loans.collections import CollectionsError, account_flag_set

    loan = late_loan(loan_number="DA-9")
    supervisor, agent = make_staff(SUPERVISOR), make_staff(SUPPORT_AGENT)
    collections_run(on=NOV_24)
    account_flag_set(
        loan_id=loan.pk,
        kind="bankruptcy",
        start_date=NOV_24,
        end_date=None,
        reason="Chapter 13 filing notice received",
        actor=supervisor,
    )

    page = staff_client(agent).get("/admin/loans/delinquencysnapshot/").content.decode()
    with pytest.raises(CollectionsError, match="active bankruptcy flag"):
        promise_add(
            loan_id=loan.pk,
            promised_date=dt.date(2026, 12, 4),
            amount=INSTALLMENT,
            actor=agent,
            on=NOV_24,
        )

    assert "Bankruptcy: do not collect" in page
    assert "promisetopay/add/" not in page
    assert not PromiseToPay.objects.exists()
