"""Document pages: access, paperless consent, year-end interest, paid-in-full and title."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from factories import LoanFactory, LoanLinkFactory, UserFactory

from accounts.models import AuditEvent
from documents import disclosures
from documents.models import PaperlessConsent, Statement, TitleRelease, YearEndStatement
from documents.payoff import title_release_update
from documents.services import DocumentError, statement_make, year_end_make
from loans.services import loan_post_payment, loan_reverse_posting
from payments import jobs

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def my_loan(borrower):
    return LoanLinkFactory(user=borrower).loan


def _statement(loan):
    return statement_make(loan_id=loan.pk, cycle_number=1, on=dt.date(2026, 1, 16))[0]


def test_another_borrower_gets_404_for_every_document_page(client, my_loan):
    st = _statement(my_loan)
    YearEndStatement.objects.create(
        loan=my_loan, year=2026, interest_paid=D("0"), made_on=dt.date(2027, 1, 2)
    )
    client.force_login(LoanLinkFactory().user)
    base = f"/documents/loans/{my_loan.pk}"
    for url in (
        f"{base}/statements/",
        f"{base}/statements/{st.pk}/",
        f"{base}/statements/{st.pk}/statement.pdf",
        f"{base}/interest/2026.pdf",
        f"{base}/paid-in-full.pdf",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{base}/interest/", {"year": "2025"}).status_code == 404
    assert not YearEndStatement.objects.filter(year=2025).exists()


def test_a_statement_of_another_loan_is_404_under_my_loan(borrower_client, my_loan):
    theirs = _statement(LoanFactory())
    url = f"/documents/loans/{my_loan.pk}/statements/{theirs.pk}/"
    assert borrower_client.get(url).status_code == 404


def test_borrower_reads_the_statement_page_list_and_pdf(borrower_client, my_loan):
    st = _statement(my_loan)
    listing = borrower_client.get(f"/documents/loans/{my_loan.pk}/statements/")
    page = borrower_client.get(f"/documents/loans/{my_loan.pk}/statements/{st.pk}/")
    pdf = borrower_client.get(f"/documents/loans/{my_loan.pk}/statements/{st.pk}/statement.pdf")

    assert "Statement of Jan 15, 2026" in listing.content.decode()
    text = page.content.decode()
    assert "$483.32" in text and "Due by Thursday, Feb 5, 2026" in text
    assert pdf["Content-Type"] == "application/pdf"
    assert b"Monthly statement" in pdf.content and b"$483.32" in pdf.content


def test_a_view_only_third_party_may_read_statements_but_not_the_paid_in_full_letter(client):
    loan = LoanFactory()
    viewer = LoanLinkFactory(loan=loan, role="viewer").user
    st = _statement(loan)
    client.force_login(viewer)
    assert client.get(f"/documents/loans/{loan.pk}/statements/{st.pk}/").status_code == 200
    assert client.get(f"/documents/loans/{loan.pk}/paid-in-full.pdf").status_code == 404


def test_paperless_consent_is_stored_with_time_and_version_and_can_be_withdrawn(
    borrower_client, borrower
):
    page = borrower_client.get("/documents/paperless/")
    assert "How to withdraw" not in page.content.decode()  # the text, not a heading list
    assert "Withdrawing. You can withdraw" in page.content.decode()

    refused = borrower_client.post(
        "/documents/paperless/", {"action": "consent", "version": disclosures.VERSION}
    )
    assert refused.status_code == 200 and not PaperlessConsent.objects.exists()
    stale = borrower_client.post(
        "/documents/paperless/", {"action": "consent", "version": "2020-01", "agree": "on"}
    )
    assert "The disclosure has changed" in stale.content.decode()
    borrower_client.post(
        "/documents/paperless/",
        {"action": "consent", "version": disclosures.VERSION, "agree": "on"},
    )
    consent = PaperlessConsent.objects.get(user=borrower)
    assert (consent.disclosure_version, consent.disclosure_sha256) == (
        disclosures.VERSION,
        disclosures.sha256(),
    )
    assert consent.consented_at is not None and consent.withdrawn_at is None

    borrower_client.post("/documents/paperless/", {"action": "withdraw"})
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert PaperlessConsent.objects.count() == 1


def test_year_end_interest_is_the_sum_of_interest_postings_net_of_reversals(
    borrower_client, my_loan
):
    first = loan_post_payment(
        loan_id=my_loan.pk,
        amount=D("483.32"),
        effective_date=dt.date(2026, 2, 5),
        idempotency_key="1",
    )
    second = loan_post_payment(
        loan_id=my_loan.pk,
        amount=D("483.32"),
        effective_date=dt.date(2026, 3, 5),
        idempotency_key="2",
    )
    loan_reverse_posting(posting_id=second.pk, reason="R01")
    loan_post_payment(  # next year's: not in 2026
        loan_id=my_loan.pk,
        amount=D("100.00"),
        effective_date=dt.date(2027, 1, 4),
        idempotency_key="3",
    )

    result = jobs.statements(on=dt.date(2027, 1, 5))

    row = YearEndStatement.objects.get(loan=my_loan, year=2026)
    assert row.interest_paid == first.interest == D("127.40")  # 31 days × $25,000 × 6 % / 365
    assert result["year_end"] == 1
    jobs.statements(on=dt.date(2027, 1, 6))
    assert YearEndStatement.objects.filter(loan=my_loan).count() == 1
    pdf = borrower_client.get(f"/documents/loans/{my_loan.pk}/interest/2026.pdf")
    assert b"$127.40" in pdf.content
    listing = borrower_client.get(f"/documents/loans/{my_loan.pk}/statements/").content.decode()
    assert "2026 interest statement (PDF)" in listing


def test_a_year_end_statement_is_only_for_a_year_that_is_over(my_loan):
    with pytest.raises(DocumentError):
        year_end_make(loan_id=my_loan.pk, year=2026, on=dt.date(2026, 12, 31))
    assert not YearEndStatement.objects.exists()


def _pay_off(loan):
    from loans.selectors import payoff_quote

    quote = payoff_quote(loan, today=dt.date(2026, 2, 5), good_through=dt.date(2026, 2, 5))
    loan_post_payment(
        loan_id=loan.pk,
        amount=quote.amount,
        effective_date=dt.date(2026, 2, 5),
        idempotency_key="payoff",
        payoff=True,
    )
    loan.refresh_from_db()
    assert loan.status == "paid_off"


def test_paid_in_full_letter_exists_only_for_paid_off_loans(borrower_client, my_loan):
    url = f"/documents/loans/{my_loan.pk}/paid-in-full.pdf"
    assert borrower_client.get(url).status_code == 404
    assert (
        "Paid-in-full letter" not in borrower_client.get(f"/loans/{my_loan.pk}/").content.decode()
    )

    _pay_off(my_loan)

    pdf = borrower_client.get(url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"was paid in full on" in pdf.content and b"February 5, 2026" in pdf.content


def test_title_release_steps_email_once_each_and_show_on_the_loan_page(
    borrower_client, borrower, my_loan, django_capture_on_commit_callbacks
):
    staff = UserFactory(is_staff=True)
    _pay_off(my_loan)
    mail.outbox.clear()

    def step(name, on, **kw):
        with django_capture_on_commit_callbacks(execute=True):
            title_release_update(loan_id=my_loan.pk, step=name, on=on, actor=staff, **kw)

    step("requested", dt.date(2026, 2, 6))
    step("released", dt.date(2026, 2, 10))
    step("released", dt.date(2026, 2, 11), note="again")  # no second email, date kept
    step("sent", dt.date(2026, 2, 12), delivery="mail")

    assert [m.subject for m in mail.outbox] == [
        "We have asked for your car's lien to be released",
        "The lien on your car has been released",
        "Your car's title is on its way",
    ]
    release = TitleRelease.objects.get(loan=my_loan)
    assert (release.requested_on, release.released_on, release.sent_on) == (
        dt.date(2026, 2, 6),
        dt.date(2026, 2, 10),
        dt.date(2026, 2, 12),
    )
    assert list(
        AuditEvent.objects.filter(action__startswith="title.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["title.requested", "title.released", "title.sent"]
    with pytest.raises(DocumentError):
        title_release_update(
            loan_id=my_loan.pk, step="released", on=dt.date(2026, 3, 1), actor=staff
        )
    page = borrower_client.get(f"/loans/{my_loan.pk}/").content.decode()
    assert "Lien released: Feb 10, 2026" in page and "Title mailed: Feb 12, 2026" in page


def test_title_release_is_refused_for_an_open_loan(my_loan):
    with pytest.raises(DocumentError):
        title_release_update(
            loan_id=my_loan.pk, step="requested", on=dt.date(2026, 2, 6), actor=None
        )
    assert not TitleRelease.objects.exists() and mail.outbox == []


# A payoff date is accepted from today on: the letter is asked for the next day, on a fixed
# day (this test failed once the real date passed 2026-12-01).
@time_machine.travel(dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC), tick=False)
def test_payoff_letter_says_where_to_send_the_money(borrower_client, my_loan):
    lender = my_loan.lender
    lender.remittance_address = "Payoff Dept\nPO Box 1234\nDallas, TX 75201"
    lender.wire_bank_name = "First Example Bank"
    lender.wire_routing_number = "110000000"
    lender.wire_account_number = "9876543210"
    lender.save()

    pdf = borrower_client.get(f"/loans/{my_loan.pk}/payoff-letter.pdf?good_through=2026-12-01")

    for text in (
        b"PO Box 1234",
        b"Dallas, TX 75201",
        b"First Example Bank",
        b"110000000",
        b"9876543210",
    ):
        assert text in pdf.content
    assert Statement.objects.count() == 0


def test_staff_move_the_title_release_in_the_admin_with_permission_and_audit(
    my_loan, django_capture_on_commit_callbacks
):
    from staff_helpers import make_staff, staff_client

    _pay_off(my_loan)
    mail.outbox.clear()
    agent = staff_client(make_staff("Support agent"))
    nobody = staff_client(make_staff())
    form = {"loan": my_loan.pk, "step": "released", "delivery": "", "note": "", "on": "2026-02-10"}

    assert nobody.post("/admin/documents/titlerelease/add/", form).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post("/admin/documents/titlerelease/add/", form)

    assert response.status_code == 302
    release = TitleRelease.objects.get(loan=my_loan)
    assert (release.step, release.requested_on, release.released_on) == (
        "released",
        dt.date(2026, 2, 10),
        dt.date(2026, 2, 10),
    )
    assert len(mail.outbox) == 2  # requested, released
    sent = {"loan": my_loan.pk, "step": "sent", "delivery": "", "note": "", "on": "2026-02-12"}
    refused = agent.post(f"/admin/documents/titlerelease/{release.pk}/change/", sent)
    assert "Say how the title was sent" in refused.content.decode()
    assert TitleRelease.objects.get(pk=release.pk).step == "released"
    assert set(
        AuditEvent.objects.filter(action__startswith="title.").values_list("action", flat=True)
    ) == {"title.requested", "title.released"}
