"""Payment-method pages on a phone (browser): no sideways scrolling and 44px tap targets at both
phone widths, on every methods page and the forms that refuse input."""

from decimal import Decimal

import pytest
from django.utils import timezone
from phone_helpers import INLINE_TEXT, PHONES, fits, small_targets_js
from shared_helpers import SANDBOX_ROUTING, sign_in_recently

SUBMIT = "main button.btn--block[type=submit]"
SMALL_TARGETS_JS = small_targets_js(f"{INLINE_TEXT}, .error-summary")


def _check_phone(page, name: str, problems: list) -> None:
    """No sideways scrolling and 44px tap targets at both phone widths; a screenshot of each
    into $PAYMENTS_SHOTS_DIR when set (for a person to look at)."""
    import os

    shots = os.environ.get("PAYMENTS_SHOTS_DIR")
    page.wait_for_load_state()
    for size in PHONES:
        page.set_viewport_size(size)
        if not fits(page, size["width"]):
            problems.append(f"{name} scrolls sideways at {size['width']}px")
        problems += [f"{name}: small target {t}" for t in page.evaluate(SMALL_TARGETS_JS)]
        if shots:
            page.screenshot(path=f"{shots}/{name}-{size['width']}.png", full_page=True)
    page.set_viewport_size(PHONES[0])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_payments_pages_fit_a_phone(browser_page, live_server, borrower, add_card, add_bank):
    from django.test import Client
    from factories import LoanFactory, LoanLinkFactory

    from payments.services import new_idempotency_key, payment_return, payment_submit

    page, base = browser_page, live_server.url
    loan = LoanFactory(billing_zip="10001")
    LoanLinkFactory(user=borrower, loan=loan)
    today = timezone.localdate()
    visa = add_card("4242424242424242", exp=(12, today.year + 4))
    add_card("5555555555554444", exp=(today.month, today.year))
    unverified = add_bank("000123456789", verified=False)
    closed = add_bank("000111111113")
    payments = {}
    for name, method, amount in [
        ("posted", visa, "483.32"),
        ("declined", add_card("4000000000009995", exp=(12, today.year + 4)), "150.00"),
        ("returned", closed, "200.00"),
    ]:
        payments[name] = payment_submit(
            loan_id=loan.pk,
            method=method,
            amount=Decimal(amount),
            payer=borrower,
            payer_email=borrower.email,
            idempotency_key=new_idempotency_key(),
            confirm_duplicate=True,
        )
    payment_return(payment_id=payments["returned"].pk, return_code="R02", on=today)

    client = Client()
    sign_in_recently(client, borrower)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )
    problems: list[str] = []

    def visit(path: str, name: str) -> None:
        page.goto(f"{base}{path}")
        _check_phone(page, name, problems)

    visit("/payments/methods/", "methods-list")
    visit("/payments/methods/add/card/", "add-card")
    page.fill("#id_number", "4242 4242 4242 4241")
    page.fill("#id_expiry", "01/20")
    page.fill("#id_cvc", "864")
    page.fill("#id_postal_code", "10001")
    page.click(SUBMIT)
    assert page.input_value("#id_number") == "" and page.input_value("#id_cvc") == ""
    _check_phone(page, "add-card-errors", problems)
    visit("/payments/methods/add/bank/", "add-bank")
    page.fill("#id_holder_name", "Pat Doe")
    page.fill("#id_routing_number", "110000001")
    page.fill("#id_account_number", "000123456789")
    page.fill("#id_account_number_confirm", "000123456788")
    page.click(SUBMIT)
    _check_phone(page, "add-bank-errors", problems)
    visit(f"/payments/methods/{unverified.pk}/verify/", "verify-bank")
    page.fill("#id_amount_1", "0.10")
    page.fill("#id_amount_2", "0.20")
    page.click(SUBMIT)
    _check_phone(page, "verify-bank-wrong", problems)
    visit(f"/payments/methods/{visa.pk}/remove/", "remove-method")
    visit("/payments/history/", "history")
    visit("/payments/history/?date_from=2026-02-31&status=failed", "history-filter-error")
    visit(f"/payments/p/{payments['declined'].reference}/help/", "troubleshoot-declined")
    visit(f"/payments/p/{payments['returned'].reference}/help/", "troubleshoot-returned")

    # A guest, in a fresh browser context.
    page.context.clear_cookies()
    visit("/payments/guest/", "guest-lookup")
    page.select_option("#id_lender", str(loan.lender.pk))
    page.fill("#id_loan_number", loan.loan_number)
    page.fill("#id_billing_zip", "10002")
    page.fill("#id_vin_last6", loan.vin[-6:])
    page.click(SUBMIT)
    _check_phone(page, "guest-lookup-error", problems)
    page.fill("#id_billing_zip", "10001")
    page.fill("#id_vin_last6", loan.vin[-6:])
    page.click(SUBMIT)
    page.wait_for_load_state()
    assert page.locator("#guest-bank").is_hidden()  # JavaScript shows the chosen method only
    _check_phone(page, "guest-pay-card", problems)
    page.check("input[name=method_kind][value=bank]")
    assert page.locator("#guest-card").is_hidden() and page.locator("#guest-bank").is_visible()
    page.fill("#id_email", "sam@example.com")
    page.fill("#id_amount", "75.00")
    page.fill("#id_bank-holder_name", "Sam Guest")
    page.fill("#id_bank-routing_number", SANDBOX_ROUTING)
    page.fill("#id_bank-account_number", "000123456789")
    page.fill("#id_bank-account_number_confirm", "000123456789")
    page.click(SUBMIT)
    assert "Tick the box to authorize the bank debit." in page.content()
    _check_phone(page, "guest-pay-bank-errors", problems)
    page.fill("#id_bank-account_number", "000123456789")
    page.fill("#id_bank-account_number_confirm", "000123456789")
    page.check("#id_ach_authorized")
    page.click(SUBMIT)
    page.wait_for_url("**/payments/guest/review/**")
    _check_phone(page, "guest-review", problems)
    page.click(SUBMIT)
    page.wait_for_url("**/payments/guest/receipt/**")
    assert "Payment sent to your bank" in page.content()
    _check_phone(page, "guest-receipt", problems)
    assert problems == []
