"""Review (attacker), issue 15's `payments_visible_to` (the linked loan ids read first, as a
list): a third party whose link was revoked (the LoanLink row is deleted) sees none of the
loan's payments on any page that reads it; the payments they made themselves stay theirs."""

import pytest
from factories import LoanLinkFactory

from loans.models import LoanLink

pytestmark = pytest.mark.django_db


def test_a_revoked_viewer_sees_no_payment_of_the_loan_anywhere(
    client, borrower, other_borrower, loan, add_card, pay
):
    link = LoanLinkFactory(user=other_borrower, loan=loan, role="viewer")
    payment = pay(loan, add_card("4242424242424242"), "50.00", payer=borrower)
    client.force_login(other_borrower)
    assert payment.reference in client.get("/payments/history/").content.decode()
    assert payment.reference in client.get("/account/messages/new/").content.decode()
    LoanLink.objects.filter(pk=link.pk).delete()  # what loan_invitation_revoke does
    ref = payment.reference
    assert ref not in client.get("/payments/history/").content.decode()
    assert ref not in client.get("/payments/history/", {"loan": loan.pk}).content.decode()
    assert ref.encode() not in b"".join(client.get("/payments/history.csv").streaming_content)
    for path in (
        f"/payments/p/{ref}/",
        f"/payments/p/{ref}/receipt.pdf",
        f"/payments/p/{ref}/help/",
    ):
        assert client.get(path).status_code == 404, path
    assert ref not in client.get("/account/messages/new/").content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in_from_every_payment_page(
    client, borrower, loan, add_card, pay
):
    ref = pay(loan, add_card("4242424242424242"), "50.00", payer=borrower).reference
    for path in ("/payments/history/", "/payments/history.csv", f"/payments/p/{ref}/"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], path
