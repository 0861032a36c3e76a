"""Every numeric form field takes ASCII 0–9 only (issue 10, item 4).

Arabic-Indic (١١٠) and full-width (１１０) digits pass Python's `\\d`, `isdigit()` and `int()`;
each field must refuse them with a clear field error, and nothing may be saved."""

import datetime as dt
import importlib
import inspect
import re
from decimal import Decimal

import pytest
from django import forms
from django.urls import reverse
from shared_helpers import SANDBOX_ROUTING

from ismartpay.core.digits import ASCII_DIGITS_ONLY
from payments.models import PaymentMethod, SandboxToken

TODAY = dt.date(2026, 12, 1)


def arabic_indic(text: str) -> str:
    return "".join(chr(0x0660 + int(ch)) if ch in "0123456789" else ch for ch in text)


def full_width(text: str) -> str:
    return "".join(chr(0xFF10 + int(ch)) if ch in "0123456789" else ch for ch in text)


def _pay_form(data):
    from payments.forms import PayForm

    amounts = {"due": Decimal("483.32"), "payoff": Decimal("20000.00")}
    return PayForm(data, amounts=amounts, methods=[], today=TODAY)


def _guest_pay_form(data):
    from payments.forms.guest import GuestPayForm

    return GuestPayForm(data, amount_due=Decimal("483.32"))


def _autopay_form(data):
    from payments.autopay.forms import AutopayForm

    return AutopayForm(data, methods=[], installment=Decimal("483.32"), today=TODAY)


def _plain(dotted: str):
    module, name = dotted.rsplit(".", 1)
    return lambda data: getattr(importlib.import_module(module), name)(data)


def _recovery_form(data):
    from accounts.forms import SecurityCodeForm

    return SecurityCodeForm(data, recovery=True)


# (form, field, a valid ASCII value, the other fields a valid submission carries)
CASES = [
    (_plain("payments.forms.methods.BankAccountForm"), "routing_number", SANDBOX_ROUTING, {}),
    (_plain("payments.forms.methods.BankAccountForm"), "account_number", "000123456789", {}),
    (
        _plain("payments.forms.methods.BankAccountForm"),
        "account_number_confirm",
        "000123456789",
        {},
    ),
    (_plain("payments.forms.methods.VerifyBankForm"), "amount_1", "0.32", {"amount_2": "0.45"}),
    (_plain("payments.forms.methods.VerifyBankForm"), "amount_2", "45", {"amount_1": "0.32"}),
    (
        _plain("payments.gateways.sandbox_forms.SandboxCardForm"),
        "number",
        "4242 4242 4242 4242",
        {},
    ),
    (_plain("payments.gateways.sandbox_forms.SandboxCardForm"), "expiry", "12/29", {}),
    (_plain("payments.gateways.sandbox_forms.SandboxCardForm"), "cvc", "864", {}),
    (_plain("payments.gateways.sandbox_forms.SandboxCardForm"), "postal_code", "10001", {}),
    (_plain("payments.forms.guest.GuestLookupForm"), "billing_zip", "10001", {}),
    (_plain("payments.forms.guest.GuestLookupForm"), "vin_last6", "123456", {}),
    (_guest_pay_form, "amount", "100.00", {"method_kind": "card", "email": "a@example.com"}),
    (_pay_form, "other_amount", "100.00", {"amount_choice": "other"}),
    (_autopay_form, "fixed_amount", "500.00", {"amount_rule": "fixed"}),
    (_autopay_form, "extra_amount", "50.00", {"amount_rule": "extra"}),
    (_plain("loans.forms.LinkLoanForm"), "billing_zip", "10001", {}),
    (_plain("loans.forms.LinkLoanForm"), "vin_last6", "123456", {}),
    (_plain("loans.forms.SimulatorForm"), "extra_monthly", "50", {}),
    (_plain("loans.forms.SimulatorForm"), "one_off_extra", "1,000.00", {}),
    (_plain("accounts.forms.ProfileForm"), "postal_code", "10001", {}),
    (_plain("accounts.forms.ProfileForm"), "phone", "555-123-4567", {}),
    (_plain("accounts.forms.SignupDetailsForm"), "phone", "555-123-4567", {}),
    (_plain("accounts.forms.SecurityCodeForm"), "code", "123456", {}),
    (_recovery_form, "code", "ABCDE-23456", {}),
    (_plain("accounts.forms.TOTPConfirmForm"), "code", "123456", {}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("script", [arabic_indic, full_width], ids=["arabic-indic", "full-width"])
@pytest.mark.parametrize(
    ("make_form", "field", "valid", "other"),
    CASES,
    ids=[f"{i}-{case[1]}" for i, case in enumerate(CASES)],
)
def test_every_numeric_field_refuses_other_scripts_digits(make_form, field, valid, other, script):
    foreign = script(valid)
    assert foreign != valid
    form = make_form({**other, field: foreign})
    assert not form.is_valid()
    assert ASCII_DIGITS_ONLY in form.errors.get(field, []), form.errors


FORM_MODULES = [
    "accounts.forms",
    "loans.forms",
    "payments.forms.pay",
    "payments.autopay.forms",
    "payments.forms.guest",
    "payments.forms.history",
    "payments.forms.methods",
    "payments.gateways.sandbox_forms",
]


def _numeric_fields() -> set[tuple[str, str]]:
    """(form class, field) for every field the project marks as taking digits."""
    found = set()
    for dotted in FORM_MODULES:
        module = importlib.import_module(dotted)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, forms.Form) or cls.__module__ != dotted:
                continue
            for name, field in cls.base_fields.items():
                attrs = field.widget.attrs
                if (
                    attrs.get("inputmode") in ("numeric", "decimal", "tel")
                    or attrs.get("type") == "tel"
                ):
                    found.add((cls.__name__, name))
    return found


@pytest.mark.django_db
def test_the_cases_cover_every_numeric_field_of_every_form():
    covered = {(case[0]({}).__class__.__name__, case[1]) for case in CASES}
    missing = _numeric_fields() - covered
    assert missing == set()


def _bank(account: str, routing: str = SANDBOX_ROUTING) -> dict:
    return {
        "holder_name": "Pat Doe",
        "routing_number": routing,
        "account_number": account,
        "account_number_confirm": account,
        "account_type": "checking",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("script", [arabic_indic, full_width], ids=["arabic-indic", "full-width"])
def test_a_borrower_cannot_store_a_bank_account_typed_in_other_digits(
    borrower_client, borrower, sign_in_recently, script
):
    sign_in_recently(borrower_client, borrower)
    page = borrower_client.post(
        "/payments/methods/add/bank/", _bank(script("000123456789"), script(SANDBOX_ROUTING))
    ).content.decode()
    for field in ("routing_number", "account_number"):
        error = re.search(rf'id="id_{field}_error">([^<]*)<', page)
        assert error and error.group(1).strip() == ASCII_DIGITS_ONLY
    assert not PaymentMethod.objects.exists() and not SandboxToken.objects.exists()


@pytest.mark.django_db
def test_a_guest_cannot_store_a_bank_account_typed_in_arabic_indic_digits(client, linked_loan):
    from payments.views.guest import SESSION_KEY

    session = client.session
    import time

    session[SESSION_KEY] = {"loan_id": linked_loan.pk, "at": time.time(), "reviews": {}}
    session.save()
    data = {
        "email": "guest@example.com",
        "amount": "10.00",
        "method_kind": "bank",
        "ach_authorized": "on",
        **{f"bank-{k}": v for k, v in _bank(arabic_indic("000123456789")).items()},
        "bank-routing_number": arabic_indic(SANDBOX_ROUTING),
    }
    response = client.post(reverse("payments:guest_pay"), data)
    assert response.status_code == 200
    assert ASCII_DIGITS_ONLY in response.content.decode()
    assert not PaymentMethod.objects.exists() and not SandboxToken.objects.exists()


@pytest.mark.django_db
def test_a_profile_zip_in_full_width_digits_is_not_saved(borrower_client, borrower):
    from accounts.models import Profile

    data = {
        "full_name": "Pat Doe",
        "postal_code": full_width("10001"),
        "time_zone": "America/New_York",
        "remind_days_before": "3",
    }
    response = borrower_client.post("/account/profile/", data)
    assert ASCII_DIGITS_ONLY in response.content.decode()
    assert not Profile.objects.filter(user=borrower).exclude(postal_code="").exists()
