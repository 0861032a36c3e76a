"""The in-process sandbox processor. It follows a well-known processor's public test numbers
(contracts.md), so switching to that processor's test mode behaves the same.
"""

import datetime as dt
import secrets
import time
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ismartpay.core.arrays import any_of
from ismartpay.core.bulk import insert_rows
from ismartpay.core.money import from_minor_units, to_minor_units
from loans.calendar import add_business_days

from ..cards import card_brand
from .base import (
    BankAccountInput,
    BankToken,
    CardInput,
    CardRejected,
    CardToken,
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    GatewayError,
    RefundResult,
    SettlementResult,
    SettlementStatus,
    TemporaryGatewayError,
)

CARD_OUTCOMES = {  # number -> (outcome, funding)
    "4242424242424242": ("ok", "credit"),
    "5555555555554444": ("ok", "credit"),
    "4000056655665556": ("ok", "debit"),
    "378282246310005": ("ok", "credit"),
    "4000000000000002": ("decline:card_declined", "credit"),
    "4000000000009995": ("decline:insufficient_funds", "credit"),
    "4000000000000069": ("decline:expired_card", "credit"),
    "4000000000000127": ("decline:incorrect_cvc", "credit"),
    "4000000000000119": ("error:processing_error", "credit"),
}
BANK_OUTCOMES = {  # account number -> outcome when the debit settles
    "000123456789": "ok",
    "000111111113": "return:R02",
    "000111111116": "return:R03",
    "000222222227": "return:R01",
    "000333333335": "return:R10",
}
MICRO_DEPOSITS = (Decimal("0.32"), Decimal("0.45"))
SETTLEMENT_DELAY_BUSINESS_DAYS = 2


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


class SandboxGateway:
    name = "sandbox"

    def card_entry_form(self):
        from .sandbox_forms import SandboxCardForm

        return SandboxCardForm

    # --- payment methods ---
    def tokenize_card(self, card: CardInput, *, idempotency_key: str) -> CardToken:
        from ..models import SandboxToken

        today = timezone.localdate()
        if (card.exp_year, card.exp_month) < (today.year, today.month):
            raise CardRejected("expired_card", "This card's expiry date has passed.")
        # Unknown numbers are declined, as a processor's test mode declines real cards.
        outcome, funding = CARD_OUTCOMES.get(card.number, ("decline:card_declined", "unknown"))
        token = SandboxToken.objects.create(
            token=_new_id("tok"),
            kind="card",
            outcome=outcome,
            brand=card_brand(card.number) or "unknown",
            last4=card.number[-4:],
            funding=funding,
        )
        return CardToken(
            token=token.token,
            brand=token.brand,
            last4=token.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            funding=funding,
        )

    def register_bank_account(
        self, account: BankAccountInput, *, idempotency_key: str
    ) -> BankToken:
        from ..models import SandboxToken

        outcome = BANK_OUTCOMES.get(account.account_number, "ok")
        token = SandboxToken.objects.create(
            token=_new_id("ba"), kind="bank", outcome=outcome, last4=account.account_number[-4:]
        )
        return BankToken(token=token.token, last4=token.last4)

    def verify_micro_deposits(self, token: str, amounts: tuple[Decimal, Decimal]) -> bool:
        return sorted(amounts) == sorted(MICRO_DEPOSITS)

    # --- money movement ---
    def charge(self, request: ChargeRequest) -> ChargeResult:
        from ..models import SandboxCharge, SandboxToken

        self._simulate_latency()
        existing = SandboxCharge.objects.filter(idempotency_key=request.idempotency_key).first()
        if existing is not None:
            return self._replay(existing, request)
        token = SandboxToken.objects.filter(token=request.source_token).first()
        if token is None:
            raise GatewayError("No such payment method at the processor.")
        kind, _, code = token.outcome.partition(":")
        if kind == "error":
            # Temporary: nothing is recorded, so a retry with the same key is a fresh attempt.
            raise TemporaryGatewayError(code)
        if token.kind == "bank":
            status = ChargeStatus.PENDING
        else:
            status = ChargeStatus.FAILED if kind == "decline" else ChargeStatus.SUCCEEDED
        try:
            with transaction.atomic():
                record = SandboxCharge.objects.create(
                    idempotency_key=request.idempotency_key,
                    processor_ref=_new_id("ch"),
                    token=token.token,
                    amount_cents=to_minor_units(request.amount),
                    status=status,
                    decline_code=code if kind == "decline" else "",
                    created_on=timezone.localdate(),
                )
        except IntegrityError:  # the same key, concurrently: the first one wins
            record = SandboxCharge.objects.get(idempotency_key=request.idempotency_key)
            return self._replay(record, request)
        return self._result(record)

    def charge_many(self, requests: list[ChargeRequest]) -> list[ChargeResult | GatewayError]:
        """A batch API (one round trip, as some processors offer for scheduled debits): each
        request's answer or error, in order, exactly as `charge` would give it one by one.
        The sandbox's latency is paid once per batch."""
        from ..models import SandboxCharge, SandboxToken

        self._simulate_latency()
        keys = [r.idempotency_key for r in requests]
        tokens = {
            t.token: t
            for t in SandboxToken.objects.filter(
                any_of("token", {r.source_token for r in requests})
            )
        }
        today, rows = timezone.localdate(), []
        for request in requests:
            token = tokens.get(request.source_token)
            kind, _, code = token.outcome.partition(":") if token else ("", "", "")
            if token is None or kind == "error":
                continue
            status = ChargeStatus.FAILED if kind == "decline" else ChargeStatus.SUCCEEDED
            rows.append(
                SandboxCharge(
                    idempotency_key=request.idempotency_key,
                    processor_ref=_new_id("ch"),
                    token=token.token,
                    amount_cents=to_minor_units(request.amount),
                    status=ChargeStatus.PENDING if token.kind == "bank" else status,
                    decline_code=code if kind == "decline" else "",
                    created_on=today,
                )
            )
        insert_rows(SandboxCharge, rows, ignore_conflicts=True)  # a key seen: replayed
        records = {
            r.idempotency_key: r
            for r in SandboxCharge.objects.filter(any_of("idempotency_key", keys))
        }
        out: list[ChargeResult | GatewayError] = []
        for request in requests:
            record, token = records.get(request.idempotency_key), tokens.get(request.source_token)
            if record is not None:
                try:
                    out.append(self._replay(record, request))
                except GatewayError as exc:
                    out.append(exc)
            elif token is None:
                out.append(GatewayError("No such payment method at the processor."))
            else:  # an "error:" token: nothing recorded, a retry with the key is a fresh attempt
                out.append(TemporaryGatewayError(token.outcome.partition(":")[2]))
        return out

    def fetch_charge(self, idempotency_key: str) -> ChargeResult | None:
        from ..models import SandboxCharge

        record = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
        return None if record is None else self._result(record)

    def fetch_charges(self, idempotency_keys: list[str]) -> list[ChargeResult | None]:
        """A batch lookup (one round trip, beside `charge_many`): each key's answer, in order,
        exactly as `fetch_charge` would give it one by one (which simulates no latency)."""
        from ..models import SandboxCharge

        records = {
            r.idempotency_key: r
            for r in SandboxCharge.objects.filter(any_of("idempotency_key", idempotency_keys))
        }
        return [
            None if (record := records.get(key)) is None else self._result(record)
            for key in idempotency_keys
        ]

    def settlement_status(self, processor_ref: str, *, on: dt.date) -> SettlementResult:
        from ..models import SandboxCharge, SandboxToken

        record = SandboxCharge.objects.get(processor_ref=processor_ref)
        if record.status != ChargeStatus.PENDING:
            raise GatewayError("Only bank debits settle.")
        if on < add_business_days(record.created_on, SETTLEMENT_DELAY_BUSINESS_DAYS):
            return SettlementResult(SettlementStatus.PENDING)
        outcome = SandboxToken.objects.get(token=record.token).outcome
        if outcome.startswith("return:"):
            return SettlementResult(SettlementStatus.RETURNED, outcome.partition(":")[2])
        return SettlementResult(SettlementStatus.SETTLED)

    def refund(self, *, idempotency_key: str, processor_ref: str, amount: Decimal) -> RefundResult:
        from ..models import SandboxCharge, SandboxRefund

        with transaction.atomic():
            existing = SandboxRefund.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return RefundResult(existing.processor_ref, from_minor_units(existing.amount_cents))
            charge = SandboxCharge.objects.select_for_update().get(processor_ref=processor_ref)
            cents = to_minor_units(amount)
            if (
                charge.status == ChargeStatus.FAILED
                or cents > charge.amount_cents - charge.refunded_cents
            ):
                raise GatewayError("The refund exceeds what was charged.")
            refund = SandboxRefund.objects.create(
                idempotency_key=idempotency_key,
                charge=charge,
                processor_ref=_new_id("re"),
                amount_cents=cents,
            )
            charge.refunded_cents += cents
            charge.save(update_fields=["refunded_cents"])
        return RefundResult(refund.processor_ref, amount)

    # --- helpers ---
    @staticmethod
    def _simulate_latency() -> None:
        delay_ms = getattr(settings, "PAYMENT_SANDBOX_LATENCY_MS", 0)
        if delay_ms:
            time.sleep(delay_ms / 1000)

    def _replay(self, record, request: ChargeRequest) -> ChargeResult:
        if (
            record.amount_cents != to_minor_units(request.amount)
            or record.token != request.source_token
        ):
            raise GatewayError("Idempotency key reused with different parameters.")
        return self._result(record)

    @staticmethod
    def _result(record) -> ChargeResult:
        return ChargeResult(
            status=ChargeStatus(record.status),
            processor_ref=record.processor_ref,
            decline_code=record.decline_code,
            created_on=record.created_on,
        )
