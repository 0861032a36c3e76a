"""Realistic data for the page benchmarks: borrowers with loans, a card, an authenticator and
a payment history; then signed-in sessions past the second factor.

Rows are built with the real services where a service makes one row at a time cheaply enough
(`loan_status_for`, the pure schedule maths, `payment_method_add_card` for the session users'
cards) and bulk-inserted otherwise, shaped as the services leave them: a settled card payment
has its Payment row, its "payment" LoanPosting (the allocation split into interest and
principal) and the loan's balances after it. Every borrower has an authenticator app, so the
second-factor middleware does its real work on every request.

Shape per borrower (as issue 15's 10,000-borrower database: 1.45 loans, ~43 payments a loan):
loan A with 60 monthly payments (the history page's "60-payment loan"); 45 % of borrowers also
have loan B with 12 payments. Session users are borrowers with loan A only, so their history
page shows exactly 60 payments.
"""

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal

from allauth.account.models import EmailAddress
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.util import random_hex

from accounts.models import TOTPDevice, User
from accounts.sessions import SIGNED_IN_AT_KEY
from loans.models import Lender, Loan, LoanLink, LoanPosting
from loans.schedule import amortization_schedule, installment_amount
from loans.services import loan_status_for
from payments.gateways.base import CardInput
from payments.models import Payment, PaymentMethod
from payments.services.methods import payment_method_add_card
from payments.services.submission import new_reference

BENCH_PASSWORD = "bench-pages-password-2026"  # noqa: S105 — benchmark data only
EMAIL_DOMAIN = "bench.example.com"
HISTORY_PAYMENTS = 60
SECOND_LOAN_PAYMENTS = 12
CHUNK = 2000


@dataclass(frozen=True)
class SessionUser:
    session_key: str
    loan_id: int


def _loan(lender: Lender, n: int, suffix: str, paid: int, today: dt.date) -> Loan:
    principal, apr, term = Decimal("24000.00") + n % 7 * 1000, Decimal("6.49"), 72
    first_due = today.replace(day=5) - relativedelta(months=paid)
    schedule = amortization_schedule(principal, apr, term, first_due, 5)
    row = schedule[paid - 1] if paid else None
    loan = Loan(
        lender=lender,
        loan_number=f"BN-{n:07d}{suffix}",
        vin=f"1BENCH{n:07d}{suffix}".ljust(17, "0")[:17],
        vehicle_year=2022,
        vehicle_make="Toyota",
        vehicle_model="RAV4",
        billing_zip="10001",
        borrower_email=f"b{n}@{EMAIL_DOMAIN}",
        original_principal=principal,
        apr_percent=apr,
        term_months=term,
        contract_date=first_due - relativedelta(months=1),
        first_due_date=first_due,
        due_day=5,
        installment_amount=installment_amount(principal, apr, term),
        principal_balance=row.balance_after if row else principal,
        interest_accrued_through=row.due_date if row else first_due - relativedelta(months=1),
        late_fees_assessed_through=paid,
        paid_toward_installments=sum((r.payment for r in schedule[:paid]), Decimal("0.00")),
        # The last of the postings _payments makes (loans/services.py keeps it so).
        ledger_last_payment_date=row.due_date if row else None,
        ledger_last_payment_amount=row.interest + row.principal if row else None,
    )
    loan.status = loan_status_for(loan, today)
    return loan, schedule[:paid]


def _payments(loan: Loan, rows, user: User, method: PaymentMethod, start: dt.datetime):
    payments, postings = [], []
    for i, r in enumerate(rows):
        at = start + dt.timedelta(days=30 * i)
        postings.append(
            LoanPosting(
                loan=loan,
                kind=LoanPosting.Kind.PAYMENT,
                effective_date=r.due_date,
                interest=r.interest,
                principal=r.principal,
                interest_accrued=r.interest,
                counts_toward_installments=r.payment,
                external_ref="",
                created_by=user,
                created_by_label=f"user:{user.pk}",
                principal_balance_after=r.balance_after,
                accrued_interest_after=Decimal("0.00"),
                unpaid_fees_after=Decimal("0.00"),
            )
        )
        payments.append(
            Payment(
                reference=new_reference(),
                idempotency_key=f"bench_{loan.loan_number}_{i}",
                loan=loan,
                payer=user,
                payer_email=user.email,
                method=method,
                method_kind=method.kind,
                method_label=method.label,
                amount=r.payment,
                scheduled_for=r.due_date,
                effective_date=r.due_date,
                status=Payment.Status.SETTLED,
                submitted_at=at,
                settled_at=at,
            )
        )
    return payments, postings


def seed_pages(*, borrowers: int, session_users: int, today: dt.date | None = None) -> dict:
    """Create `borrowers` borrowers (see the module docstring); returns counts and timings."""
    today = today or timezone.localdate()
    started = time.monotonic()
    lender, _ = Lender.objects.get_or_create(name="Bench Auto Finance")
    password = make_password(BENCH_PASSWORD)
    first = User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").count()
    counts = {"users": 0, "loans": 0, "payments": 0}
    for lo in range(first, first + borrowers, CHUNK):
        hi = min(lo + CHUNK, first + borrowers)
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(
                    email=f"b{n}@{EMAIL_DOMAIN}",
                    full_name=f"Bench Borrower {n}",
                    password=password,
                    has_second_factor=True,
                )
                for n in range(lo, hi)
            )
            EmailAddress.objects.bulk_create(
                EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
            )
            TOTPDevice.objects.bulk_create(
                TOTPDevice(user=u, name="Authenticator app", key=random_hex(20), confirmed=True)
                for u in users
            )
            # The session users' cards go through the real service (sandbox tokenization);
            # the others' are the same rows in bulk.
            methods = []
            for u in users:
                n = int(u.email[1:].split("@")[0])
                if n < session_users:
                    methods.append(
                        payment_method_add_card(
                            owner=u,
                            idempotency_key=f"bench-card-{n}",
                            card=CardInput(
                                number="4242424242424242",
                                exp_month=12,
                                exp_year=today.year + 3,
                                cvc="123",
                            ),
                        )
                    )
                else:
                    methods.append(
                        PaymentMethod(
                            owner=u,
                            kind=PaymentMethod.Kind.CARD,
                            processor_token=f"tok_bench_{n}",
                            last4="4242",
                            brand="visa",
                            exp_month=12,
                            exp_year=today.year + 3,
                            funding="credit",
                            is_default=True,
                        )
                    )
            PaymentMethod.objects.bulk_create([m for m in methods if m.pk is None])
            loans, plans = [], []
            for u, m in zip(users, methods, strict=True):
                n = int(u.email[1:].split("@")[0])
                shapes = [("A", HISTORY_PAYMENTS)]
                if n >= session_users and n % 20 < 9:  # 45 %
                    shapes.append(("B", SECOND_LOAN_PAYMENTS))
                for suffix, paid in shapes:
                    loan, rows = _loan(lender, n, suffix, paid, today)
                    loans.append(loan)
                    plans.append((loan, rows, u, m))
            Loan.objects.bulk_create(loans)
            LoanLink.objects.bulk_create(
                LoanLink(user=u, loan=loan, role=LoanLink.Role.BORROWER) for loan, _, u, _ in plans
            )
            start = timezone.now() - dt.timedelta(days=30 * HISTORY_PAYMENTS)
            payments, postings = [], []
            for loan, rows, u, m in plans:
                p, q = _payments(loan, rows, u, m, start)
                payments += p
                postings += q
            LoanPosting.objects.bulk_create(postings, batch_size=5000)
            for p, q in zip(payments, postings, strict=True):
                p.loan_posting_id = q.pk
            Payment.objects.bulk_create(payments, batch_size=5000)
            counts["users"] += len(users)
            counts["loans"] += len(loans)
            counts["payments"] += len(payments)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts


def sessions_create(*, count: int) -> list[SessionUser]:
    """`count` signed-in sessions past the second factor, for the first `count` borrowers."""
    users = (
        User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")
        .order_by("pk")
        .prefetch_related("totpdevice_set")[:count]
    )
    out = []
    for user in users:
        loan = Loan.objects.filter(links__user=user).order_by("pk").first()
        device = user.totpdevice_set.all()[0]
        store = SessionStore()
        store["_auth_user_id"] = str(user.pk)
        store["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
        store["_auth_user_hash"] = user.get_session_auth_hash()
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
        store[SIGNED_IN_AT_KEY] = time.time()
        store.create()
        out.append(SessionUser(session_key=store.session_key, loan_id=loan.pk))
    return out
