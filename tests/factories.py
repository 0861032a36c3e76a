"""factory-boy factories for the test suite."""

import datetime as dt
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from demo_loan import TEN_PAID

from accounts.models import User
from loans.models import Lender, Loan, LoanLink
from loans.schedule import installment_amount

TEST_PASSWORD = "correct horse battery staple 42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"borrower{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)
        if create:
            obj.save()


class LenderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lender
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Lender {n}")


class LoanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Loan

    lender = factory.SubFactory(LenderFactory)
    loan_number = factory.Sequence(lambda n: f"L-{n:06d}")
    vin = factory.Sequence(lambda n: f"1HGCM82633A{n:06d}")
    vehicle_year = 2022
    vehicle_make = "Honda"
    vehicle_model = "Accord"
    billing_zip = "10001"
    original_principal = Decimal("25000.00")
    apr_percent = Decimal("6.00")
    term_months = 60
    contract_date = dt.date(2026, 1, 5)
    first_due_date = dt.date(2026, 2, 5)
    due_day = 5
    installment_amount = factory.LazyAttribute(
        lambda o: installment_amount(o.original_principal, o.apr_percent, o.term_months)
    )
    principal_balance = factory.LazyAttribute(lambda o: o.original_principal)
    interest_accrued_through = factory.LazyAttribute(lambda o: o.contract_date)

    class Params:
        # The demo loan with installments 1-10 paid: current on 2026-11-24 (tests/demo_loan.py).
        ten_paid = factory.Trait(**TEN_PAID)


class LoanLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoanLink

    user = factory.SubFactory(UserFactory)
    loan = factory.SubFactory(LoanFactory)


def totp_device_for(user, *, confirmed: bool = True):
    """A confirmed authenticator for `user`, as accounts.second_factor would leave it."""
    from django_otp.util import random_hex

    from accounts.models import TOTPDevice

    device = TOTPDevice.objects.create(
        user=user, name="Authenticator app", key=random_hex(20), confirmed=confirmed
    )
    if confirmed:
        user.has_second_factor = True
        user.save(update_fields=["has_second_factor"])
    return device


def totp_code(device, *, at: float | None = None) -> str:
    """The code an authenticator app shows for `device` at Unix time `at` (default now)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"
