"""Guest payment: find the loan, pay by card or bank account, review, receipt."""

import html
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from shared_helpers import SANDBOX_ROUTING

from loans.selectors import loan_summary
from payments.models import Payment, PaymentMethod, SandboxCharge, SandboxToken

pytestmark = pytest.mark.django_db

GUEST = "/payments/guest/"
IP = "203.0.113.5"


@pytest.fixture
def guest_loan(make_loan):
    """A loan nobody has linked, with billing ZIP 10001."""
    return make_loan(None, billing_zip="10001")


def amount_due(loan) -> Decimal:
    return loan_summary(loan, today=timezone.localdate()).amount_due


def find(client, loan, *, zip_code="10001", vin=None, ip=IP, **extra):
    data = {
        "lender": loan.lender.pk,
        "loan_number": loan.loan_number,
        "billing_zip": zip_code,
        "vin_last6": vin if vin is not None else loan.vin[-6:],
        **extra,
    }
    return client.post(GUEST, data, REMOTE_ADDR=ip)


def card_fields(number="4242424242424242", cvc="864"):
    year = (timezone.localdate().year + 3) % 100
    return {
        "method_kind": "card",
        "card-number": number,
        "card-expiry": f"12/{year:02d}",
        "card-cvc": cvc,
        "card-postal_code": "10001",
    }


def bank_fields(account="000123456789", authorized=True):
    data = {
        "method_kind": "bank",
        "bank-holder_name": "Sam Guest",
        "bank-routing_number": SANDBOX_ROUTING,
        "bank-account_number": account,
        "bank-account_number_confirm": account,
        "bank-account_type": "checking",
    }
    if authorized:
        data["ach_authorized"] = "on"
    return data


def start_payment(client, amount, method_data, email="sam@example.com"):
    return client.post(GUEST, {"email": email, "amount": amount, **method_data})


def pay_as_guest(client, loan, method_data, amount="100.00", capture=None):
    assert find(client, loan).status_code == 302
    review = start_payment(client, amount, method_data)
    assert review.status_code == 302, html.unescape(review.content.decode())[-3000:]
    if capture is None:
        return client.post(review["Location"])
    with capture(execute=True):
        return client.post(review["Location"])


def test_urls_are_the_documented_ones():
    assert reverse("payments:guest_pay") == GUEST
    key = "pay_" + "k" * 32  # the shape new_idempotency_key() makes
    assert reverse("payments:guest_review", args=[key]) == f"/payments/guest/review/{key}/"
    assert reverse("payments:guest_receipt", args=["PABCDE-FGHJK"]) == (
        "/payments/guest/receipt/PABCDE-FGHJK/"
    )


def test_the_right_facts_show_the_amount_due_and_nothing_else(client, guest_loan):
    response = find(client, guest_loan, zip_code="10001 ", vin=guest_loan.vin[-6:].lower())
    assert response.status_code == 302 and response["Location"] == GUEST
    page = html.unescape(client.get(GUEST).content.decode())
    due = amount_due(guest_loan)
    assert due > 0 and f"${due:,}" in page
    assert f'value="{due:.2f}"' in page  # the amount field starts at the amount due
    for secret in (
        guest_loan.loan_number,
        guest_loan.vin,
        "Honda",
        "Accord",
        "25,000",
        "10001",
        "Principal",
        "Payoff",
    ):
        assert secret not in page, secret


@pytest.mark.parametrize(
    "wrong",
    [{"zip_code": "10002"}, {"vin": "ZZZZZZ"}, {"loan_number": "NOPE-1"}],
    ids=["zip", "vin", "loan_number"],
)
def test_a_wrong_fact_gets_the_same_generic_error(client, guest_loan, wrong):
    response = find(client, guest_loan, **wrong)
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "We couldn't find a loan with those details." in page
    assert "ZIP code:" not in page and "VIN:" not in page  # no field is blamed
    assert "payments_guest" not in client.session


def test_failed_lookups_are_limited_per_ip(client, guest_loan, make_loan):
    other = make_loan(None)
    for _ in range(5):
        assert find(client, other, zip_code="99999").status_code == 200
    response = find(client, guest_loan)  # right facts, but too many tries from this IP
    assert response.status_code == 429
    assert "Too many tries" in html.unescape(response.content.decode())
    assert "payments_guest" not in client.session
    assert find(Client(), guest_loan, ip="198.51.100.7").status_code == 302  # another IP


def test_failed_lookups_are_limited_per_loan_across_ips(client, guest_loan):
    for n in range(10):
        assert find(Client(), guest_loan, vin="ZZZZZZ", ip=f"198.51.100.{n}").status_code == 200
    response = find(client, guest_loan, ip="192.0.2.200")
    assert response.status_code == 429 and "Too many tries" in response.content.decode()


def test_the_limits_clear_when_the_cache_is_cleared(client, guest_loan):
    from django.core.cache import cache

    for _ in range(5):
        find(client, guest_loan, zip_code="99999")
    assert find(client, guest_loan).status_code == 429
    cache.clear()
    assert find(client, guest_loan).status_code == 302


def test_a_guest_pays_by_card_and_gets_a_receipt_page_and_email(
    client, guest_loan, mailoutbox, django_capture_on_commit_callbacks
):
    assert find(client, guest_loan).status_code == 302
    review = start_payment(client, "125.00", card_fields())
    assert re.fullmatch(r"/payments/guest/review/pay_[\w-]+/", review["Location"])
    page = html.unescape(client.get(review["Location"]).content.decode())
    assert "Pay $125.00" in page and "Visa •••• 4242" in page and "sam@example.com" in page
    assert not Payment.objects.exists() and not SandboxCharge.objects.exists()  # not yet

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(review["Location"])
    payment = Payment.objects.get()
    assert (payment.source, payment.payer, payment.payer_email) == (
        "guest",
        None,
        "sam@example.com",
    )
    assert (payment.status, payment.amount) == (Payment.Status.POSTED, Decimal("125.00"))
    assert payment.idempotency_key == review["Location"].split("/")[-2]
    method = PaymentMethod.objects.get()
    assert (method.owner, method.label, method.is_default) == (None, "Visa •••• 4242", False)
    assert done["Location"].startswith(f"/payments/guest/receipt/{payment.reference}/?t=")
    receipt = html.unescape(client.get(done["Location"]).content.decode())
    assert "Thank you, your payment is in" in receipt and payment.reference in receipt
    assert "$125.00" in receipt
    [mail] = mailoutbox
    assert mail.to == ["sam@example.com"] and "$125.00" in mail.subject
    assert payment.reference in mail.body


def test_confirming_twice_makes_one_payment_and_lands_on_the_same_receipt(client, guest_loan):
    find(client, guest_loan)
    review = start_payment(client, "90.00", card_fields())["Location"]
    first = client.post(review)
    second = client.post(review)  # a double tap, or Back and confirm again
    assert Payment.objects.count() == 1 and SandboxCharge.objects.count() == 1
    assert first.status_code == second.status_code == 302
    # The same receipt page; each link's signed token carries the second it was made
    # (signing.dumps), so two confirmations a second apart differ in `t` only — and each
    # opens the receipt on its own, in a browser without this session.
    receipt = f"/payments/guest/receipt/{Payment.objects.get().reference}/"
    assert first["Location"].split("?")[0] == second["Location"].split("?")[0] == receipt
    for done in (first, second):
        page = html.unescape(Client().get(done["Location"]).content.decode())
        assert "Thank you, your payment is in" in page
    assert Client().get(f"{receipt}?t=not-a-token").status_code == 404


def test_an_expired_guest_session_is_asked_to_find_the_loan_again(client, guest_loan):
    import time_machine

    find(client, guest_loan)
    review = start_payment(client, "90.00", card_fields())["Location"]
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=16)):
        response = client.post(review, follow=True)
    page = html.unescape(response.content.decode())
    assert "please find your loan again" in page and "Find my loan" in page
    assert not Payment.objects.exists() and not SandboxCharge.objects.exists()


def test_a_bank_payment_needs_the_ach_authorization(client, guest_loan):
    find(client, guest_loan)
    response = start_payment(client, "100.00", bank_fields(authorized=False))
    page = html.unescape(response.content.decode())
    assert "Tick the box to authorize the bank debit." in page
    assert "I authorize" in page and guest_loan.lender.name in page
    assert "000123456789" not in page
    assert not PaymentMethod.objects.exists() and not SandboxToken.objects.exists()


def test_a_guest_pays_by_bank_account_with_the_authorization(client, guest_loan):
    response = pay_as_guest(client, guest_loan, bank_fields(), amount="75.00")
    payment = Payment.objects.get()
    assert (payment.status, payment.method_label) == (Payment.Status.PENDING, "Checking •••• 6789")
    assert PaymentMethod.objects.get().owner is None
    receipt = html.unescape(client.get(response["Location"]).content.decode())
    assert "Payment sent to your bank" in receipt and "$75.00" in receipt


def test_the_review_shows_the_authorization_text_with_the_amount(client, guest_loan):
    find(client, guest_loan)
    review = start_payment(client, "75.00", bank_fields())["Location"]
    page = html.unescape(client.get(review).content.decode())
    assert f"I authorize {guest_loan.lender.name}, through iSmartPay, to make a one-time " in page
    assert "debit of $75.00 from Checking •••• 6789, on or after today." in page


def test_a_declined_card_shows_why_and_offers_another_way(client, guest_loan):
    response = pay_as_guest(client, guest_loan, card_fields("4000000000009995"))
    payment = Payment.objects.get()
    assert (payment.status, payment.decline_code) == ("failed", "insufficient_funds")
    receipt = html.unescape(client.get(response["Location"]).content.decode())
    assert "Not enough funds" in receipt and "Try another way to pay" in receipt
    # Still verified: the guest can try another card right away.
    assert "Amount due now" in client.get(GUEST).content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (card_fields("4242424242424241"), "not a valid card number"),
        ({**card_fields(), "card-expiry": "01/21"}, "expiry date has passed"),
        (bank_fields(account="1"), "4 to 17 digits"),
    ],
)
def test_bad_card_or_bank_details_are_refused_and_never_echoed(client, guest_loan, fields, message):
    find(client, guest_loan)
    page = html.unescape(start_payment(client, "50.00", fields).content.decode())
    assert message in page
    for name in ("card-number", "card-cvc", "bank-account_number", "bank-account_number_confirm"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert "value=" not in tag, tag
    assert not PaymentMethod.objects.exists() and not SandboxToken.objects.exists()


def test_a_guest_cannot_pay_more_than_the_amount_due(client, guest_loan):
    find(client, guest_loan)
    due = amount_due(guest_loan)
    page = html.unescape(start_payment(client, f"{due + 1:.2f}", card_fields()).content.decode())
    assert f"As a guest you can pay up to the amount due, ${due:,}." in page
    assert not PaymentMethod.objects.exists() and not Payment.objects.exists()


@pytest.mark.parametrize("amount", ["0", "-5", "1e3", "NaN", "12.345", "abc", ""])
def test_bad_amounts_are_refused(client, guest_loan, amount):
    find(client, guest_loan)
    response = start_payment(client, amount, card_fields())
    assert response.status_code == 200 and 'id="id_amount_error"' in response.content.decode()
    assert not Payment.objects.exists()


def test_the_receipt_is_only_for_the_paying_session_or_the_signed_link(client, guest_loan):
    done = pay_as_guest(client, guest_loan, card_fields())
    payment = Payment.objects.get()
    plain = f"/payments/guest/receipt/{payment.reference}/"
    assert client.get(plain).status_code == 200  # the session that paid
    stranger = Client()
    assert stranger.get(plain).status_code == 404
    assert stranger.post(plain).status_code == 404
    assert stranger.get(plain + "?t=forged").status_code == 404
    assert stranger.get(done["Location"]).status_code == 200  # the signed link
    other = Payment.objects.exclude(pk=payment.pk)
    assert not other.exists()
    token = done["Location"].split("?t=")[1]
    assert stranger.get(f"/payments/guest/receipt/PXXXXX-XXXXX/?t={token}").status_code == 404


def test_a_review_key_from_another_session_is_404(client, guest_loan):
    find(client, guest_loan)
    review = start_payment(client, "40.00", card_fields())["Location"]
    stranger = Client()
    find(stranger, guest_loan, ip="198.51.100.9")
    assert stranger.get(review).status_code == 404
    assert stranger.post(review).status_code == 404
    assert not Payment.objects.exists() and not SandboxCharge.objects.exists()


def test_start_over_forgets_the_loan(client, guest_loan):
    find(client, guest_loan)
    client.post(GUEST, {"start_over": "1"})
    assert "Find my loan" in client.get(GUEST).content.decode()


def test_guest_amount_fuzzing_accepts_only_cents_up_to_the_amount_due():
    """Target 16 for the guest form (3,000 inputs here, to stay fast): whatever is typed, no
    crash, and only amounts in [0.01, amount due] with at most 2 decimals are accepted."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from payments.forms.guest import GuestPayForm

    due = Decimal("483.32")
    amounts = st.one_of(
        st.text(max_size=24),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.floats().map(str),
        st.integers(min_value=-(10**15), max_value=10**15).map(str),
        st.sampled_from(["1e2", "NaN", "-0", "0.001", "483.33", "483.32", "$1,000", "٣"]),
    )

    @settings(max_examples=3_000, deadline=None, database=None)
    @given(amounts)
    def check(text):
        form = GuestPayForm(
            {"email": "a@example.com", "amount": text, "method_kind": "card"}, amount_due=due
        )
        if form.is_valid():
            amount = form.cleaned_data["amount"]
            assert Decimal("0.01") <= amount <= due and amount == amount.quantize(Decimal("0.01"))
            assert amount.is_finite()

    check()
