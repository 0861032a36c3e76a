"""Every authorization text comes from payments.authorizations; a payment records its version."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from payments import authorizations
from payments.autopay import schedule as sched
from payments.autopay import services as autopay_services
from payments.forms import guest as forms_guest
from payments.models import Payment
from payments.preview import authorization_text as one_time_text
from payments.services import phone


def test_a_payment_made_with_an_authorization_records_the_one_time_texts_version(
    loan, borrower, add_bank, add_card, pay
):
    bank = pay(
        loan,
        add_bank("000123456789"),
        "100.00",
        payer=borrower,
        authorization_text="I authorize ...",
    )
    card = pay(loan, add_card("4242424242424242"), "50.00", payer=borrower)
    assert Payment.objects.count() == 2
    assert (bank.authorization_text, bank.authorization_version) == (
        "I authorize ...",
        "OT-2026-12",
    )
    assert (card.authorization_text, card.authorization_version) == ("", "")


def test_every_channel_takes_its_authorization_text_from_the_one_module():
    lender = SimpleNamespace(name="Harbor Auto Finance")
    loan = SimpleNamespace(lender=lender, loan_number="HA-1001")
    bank = SimpleNamespace(kind="bank", label="Checking •••• 6789")
    on = dt.date(2026, 11, 24)
    assert one_time_text(loan=loan, method=bank, amount=Decimal("483.32"), effective=on) == (
        "I authorize iSmartPay, servicer for Harbor Auto Finance, to debit $483.32 once from "
        "Checking •••• 6789 on or after November 24, 2026, for loan HA-1001."
    )
    assert forms_guest.ACH_AUTHORIZATION is authorizations.GUEST_ACH_TEMPLATE
    assert phone.PHONE_AUTHORIZATION_SCRIPT is authorizations.PHONE_SCRIPT_TEMPLATE
    assert phone.phone_authorization_script(
        loan=loan, amount=Decimal("1250.00"), method_label="Visa •••• 4242", on=on
    ) == (
        "You authorize Harbor Auto Finance to charge $1,250.00 to Visa •••• 4242 today, "
        "November 24, 2026, as a one-time payment on loan HA-1001. This is a single payment, "
        "not a recurring one."
    )
    assert autopay_services.AUTHORIZATION_VERSION == authorizations.AUTOPAY_VERSION == "AP-2026-12"
    terms = sched.PlanTerms(sched.MONTHLY_DUE, sched.INSTALLMENT, on)
    text = autopay_services.authorization_text(loan=loan, method=bank, terms=terms)
    assert text.startswith(
        "I authorize iSmartPay, servicer for Harbor Auto Finance, to debit Checking •••• 6789 "
        "for my monthly payment, every month on my due date, starting November 24, 2026, "
        "until I cancel, to pay loan HA-1001. "
    )
