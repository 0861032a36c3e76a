"""The troubleshooter: a page for every card decline and every ACH return code."""

import html

import pytest
from django.urls import reverse

from payments.declines import ACH_RETURNS, CARD_DECLINES
from payments.models import Payment, PaymentMethod

pytestmark = pytest.mark.django_db

DISABLING = {"R02", "R03", "R04", "R20"}
SUSPENDING = {"R05", "R07", "R10", "R11", "R29"}
REPRESENTED = {"R01", "R09"}


def help_page(client, payment) -> str:
    response = client.get(f"/payments/p/{payment.reference}/help/")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_url_is_the_documented_one():
    assert (
        reverse("payments:troubleshoot", args=["PABCDE-FGHJK"]) == "/payments/p/PABCDE-FGHJK/help/"
    )


def test_every_card_decline_code_has_a_sandbox_card():
    from payments.gateways.sandbox import CARD_OUTCOMES

    codes = {o.partition(":")[2] for o, _ in CARD_OUTCOMES.values() if o != "ok"}
    assert codes == set(CARD_DECLINES)


@pytest.mark.parametrize("code", sorted(CARD_DECLINES))
def test_every_card_decline_is_explained_with_next_steps_and_pay_again(
    borrower_client, borrower, loan, add_card, pay, sandbox, code
):
    payment = pay(loan, add_card(sandbox.decline_cards[code]), "150.00", payer=borrower)
    assert (payment.status, payment.decline_code) == (Payment.Status.FAILED, code)
    reason = CARD_DECLINES[code]
    page = help_page(borrower_client, payment)
    assert f"<h1>{reason.title}</h1>" in page
    assert reason.explanation in page and reason.next_steps in page
    assert "Code:" not in page and "You have not been charged" in page  # no raw codes
    assert "returned-payment fee" not in page
    if reason.retryable:
        assert "at most 3 times" in page or "safe to try again" in page
    else:
        assert "We won't try this card again automatically" in page
    assert f'href="/payments/pay/{loan.pk}/?amount=150.00">Pay again with another method' in page


@pytest.mark.parametrize("code", sorted(ACH_RETURNS))
def test_every_ach_return_is_explained_with_fee_retry_and_account_rules(
    borrower_client, borrower, loan, returned_payment, code
):
    loan.lender.nsf_fee = "30.00"
    loan.lender.save(update_fields=["nsf_fee"])
    payment = returned_payment(loan, borrower, code, amount="120.00")
    assert (payment.status, payment.return_code) == (Payment.Status.RETURNED, code)
    reason = ACH_RETURNS[code]
    page = help_page(borrower_client, payment)
    assert f"<h1>{reason.title}</h1>" in page
    assert reason.explanation in page and reason.next_steps in page
    assert "was returned by your bank" in page and "Code:" not in page  # no raw codes
    assert "returned-payment fee of <strong>$30.00</strong>" in page
    assert ("at most twice within 180 days" in page) == (code in REPRESENTED)
    assert ("We turned off Checking •••• 6789" in page) == (code in DISABLING)
    assert ("Autopay on this loan is paused" in page) == (code in SUSPENDING)
    method = PaymentMethod.objects.get(pk=payment.method_id)
    assert bool(method.disabled_reason) == (code in DISABLING)
    assert f'href="/payments/pay/{loan.pk}/?amount=120.00"' in page


def test_a_viewer_gets_the_explanation_but_no_pay_again_button(
    client, borrower, other_borrower, loan, add_card, pay
):
    from factories import LoanLinkFactory

    LoanLinkFactory(user=other_borrower, loan=loan, role="viewer")
    payment = pay(loan, add_card("4000000000000002"), "60.00", payer=borrower)
    client.force_login(other_borrower)
    page = help_page(client, payment)
    assert "Your card was declined" in page and "Pay again with another method" not in page


def test_a_payment_that_went_through_goes_to_its_detail_page(
    borrower_client, borrower, loan, add_card, pay
):
    payment = pay(loan, add_card("4242424242424242"), "60.00", payer=borrower)
    response = borrower_client.get(f"/payments/p/{payment.reference}/help/")
    assert response.status_code == 302
    assert response["Location"] == f"/payments/p/{payment.reference}/"
