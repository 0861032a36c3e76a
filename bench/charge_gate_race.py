"""Charge-gate race (reliability target 11a): two confirms on one loan whose sum exceeds the
payoff, at the same moment, with the sandbox processor taking `--latency-ms` per charge.
Repeats it `--trials` times on fresh loans and prints how many trials charged more than the
payoff (must be 0), how many charged exactly one payment, and the time per trial.

    createdb -h 127.0.0.1 -U postgres ismartpay_bench_gate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ismartpay_bench_gate \
    REDIS_URL=redis://127.0.0.1:6379/9 \
    .venv/bin/python bench/charge_gate_race.py --trials 200 --latency-ms 1500
"""

import argparse
import datetime as dt
import os
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ismartpay.settings_test")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=1500)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from loans.allocation import payoff_amount
    from loans.models import Lender, Loan, LoanLink
    from loans.schedule import installment_amount
    from loans.selectors import loan_balances_on
    from payments.errors import PaymentError
    from payments.gateways.base import CardInput
    from payments.models import Payment, PaymentMethod, SandboxCharge
    from payments.services import new_idempotency_key, payment_method_add_card, payment_submit

    call_command("migrate", verbosity=0)
    settings.PAYMENT_SANDBOX_LATENCY_MS = args.latency_ms
    settings.CELERY_TASK_ALWAYS_EAGER = True
    lender, _ = Lender.objects.get_or_create(name="Gate Bench Lender")
    user, _ = User.objects.get_or_create(email="gate-bench@example.com")
    card = PaymentMethod.objects.filter(owner=user, removed_at__isnull=True).first()
    if card is None:
        card = payment_method_add_card(
            owner=user,
            card=CardInput("4242424242424242", 12, 2030, "123", "10001"),
            idempotency_key=new_idempotency_key(),
        )
    PaymentMethod.objects.filter(pk=card.pk).update(
        created_at=timezone.now() - dt.timedelta(days=30)
    )
    card.refresh_from_db()
    over, one_charge, started = 0, 0, time.monotonic()
    run = f"{time.time_ns()}"
    for trial in range(args.trials):
        today = timezone.localdate()
        loan = Loan.objects.create(
            lender=lender,
            loan_number=f"G-{run}-{trial}",
            vin=f"GATE{trial:013d}",
            vehicle_year=2022,
            vehicle_make="Honda",
            vehicle_model="Accord",
            billing_zip="10001",
            original_principal=Decimal("15000.00"),
            apr_percent=Decimal("6.00"),
            term_months=60,
            contract_date=today - dt.timedelta(days=40),
            first_due_date=today + dt.timedelta(days=20),
            due_day=min((today + dt.timedelta(days=20)).day, 28),
            installment_amount=installment_amount(Decimal("15000.00"), Decimal("6.00"), 60),
            principal_balance=Decimal("12000.00"),
            interest_accrued_through=today,
        )
        LoanLink.objects.create(user=user, loan=loan, role="borrower")
        payoff = payoff_amount(loan_balances_on(loan, today))
        barrier = threading.Barrier(2)

        def confirm(amount, is_payoff, loan=loan, barrier=barrier):
            barrier.wait()
            try:
                payment_submit(
                    loan_id=loan.pk,
                    method=card,
                    amount=amount,
                    idempotency_key=new_idempotency_key(),
                    payer=user,
                    payer_email=user.email,
                    is_payoff=is_payoff,
                    confirm_duplicate=True,
                )
            except PaymentError:
                pass
            finally:
                connection.close()

        threads = [
            threading.Thread(target=confirm, args=(payoff, True)),
            threading.Thread(target=confirm, args=(payoff - 10, False)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        charges = SandboxCharge.objects.filter(
            idempotency_key__in=Payment.objects.filter(loan=loan).values("idempotency_key")
        )
        cents = sum(c.amount_cents - c.refunded_cents for c in charges)
        over += cents > int(payoff * 100)
        one_charge += charges.count() == 1
    elapsed = time.monotonic() - started
    print(
        f"trials={args.trials} latency_ms={args.latency_ms} over_charged={over} "
        f"exactly_one_charge={one_charge} seconds={elapsed:.1f} "
        f"per_trial={elapsed / args.trials:.2f}s"
    )


if __name__ == "__main__":
    main()
