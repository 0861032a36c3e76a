"""Remittance import: a CSV from a lockbox or a cash network, one payment a line.

Columns (header row, order free, names exact): `loan_number, amount, date, reference`, and
optionally `lender_name`. A file is one lender's (the batch's lender, chosen on upload): its
lines match only that lender's loans, and a line naming another lender's loan is refused
(ownership.money_lender_check). Dates are ISO `YYYY-MM-DD`, within received.py's
`effective_date_check`; amounts dollars with at most 2 decimals. Every line is validated first
and any bad line is reported by its number with nothing written; a good file is written in one
transaction.

Idempotent by the money, not the reference: a line's key is `remit:` + a hash of lender,
channel, reference, loan number, date and amount (remittance_parse.py `remittance_key`).
Re-importing a file posts nothing twice; a lockbox reference reused on another day or for
another loan is other money and is posted. A line whose receipt is already on the books by
another path (recorded by hand: same loan and amount, the same reference and channel family,
a date within a few days: receipts.receipt_on_books) is not posted again; the result lists it
as "already recorded by hand", naming the payment. Two identical lines in one file are refused
(naming both lines): the import could not tell a repeat from a second payment. A line matching
no loan (or more than one) is held in suspense as unidentified, for the batch's lender; a closed
loan's or an overpayment's money is held there too (received.py).


Four eyes (attacker review: one agent paid a loan off with a $1,000,000,000 line): the admin
page validates the file (`remittance_check`) and submits the batch as one staff request
(loans/staff_requests.py, kind `remittance`, the lines in its params, the total counted
against the lender's four-eyes threshold with the day's files done alone). At or below it the
file posts at once; above it another supervisor approves, and the stored lines — never the
file again — post through `remittance_import(lines=...)` under the same keys."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from accounts.audit import audit_record
from ismartpay.core.money import ZERO
from ismartpay.core.today import business_date
from loans.importing import RowError
from loans.models import Loan

from ..errors import AlreadyRecorded, PaymentError
from ..models import Payment, SuspenseItem
from .received import IN_HAND_CHANNELS, payment_record_received
from .remittance_parse import Batch, Line, lines_from_params, lines_to_params, parse_lines
from .suspense import suspense_hold

REMITTANCE_CHANNELS = (
    Payment.Channel.LOCKBOX,
    Payment.Channel.MONEYGRAM,
    Payment.Channel.WESTERN_UNION,
    Payment.Channel.PAYNEARME,
)


@dataclass
class RemittanceResult:
    posted: int = 0  # lines posted to a loan (all or part)
    held: int = 0  # lines whose money (all or part) went to suspense
    skipped: int = 0  # lines imported before (their key, or the same money from a file)
    # Lines whose receipt is already on the books by another path (receipts.receipt_on_books):
    # recorded by hand, or applied from suspense. Each names the earlier payment.
    recorded: list[RowError] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """What the import did, in one sentence for the staff page."""
        lines = "".join(f" {r}" for r in self.recorded)
        return (
            f"Imported: {self.posted} posted, {self.held} held in suspense, {self.skipped} "
            f"already imported, {len(self.recorded)} already recorded by hand.{lines}"
        )


class _Rollback(Exception):
    def __init__(self, error: RowError):
        self.error = error


def remittance_check(
    *, text: str, channel: str, lender, today: dt.date | None = None
) -> tuple[list[dict], list[RowError]]:
    """Validate every line of the file: the lines as a staff request stores them (JSON), or
    the errors (each with its line number)."""
    errors = _batch_errors(channel, lender)
    if errors:
        return [], errors
    batch = Batch(lender=lender, channel=channel, today=today or business_date(lender))
    lines = parse_lines(text, batch=batch, errors=errors)
    return ([] if errors else lines_to_params(lines)), errors


def remittance_total(rows: list[dict]) -> Decimal:
    """Dollars in the file: what counts against the lender's four-eyes threshold."""
    return sum((Decimal(r["amount"]) for r in rows), Decimal("0.00"))


def remittance_preview(rows: list[dict]) -> dict:
    """What the lines would do as the loans stand (nothing written): per line the dollars that
    post to the loan and those held in suspense (no loan matched, closed, or above the payoff),
    and the totals. Several lines for one loan are each measured against today's payoff."""
    from .gate import applicable_amount

    loans = Loan.objects.in_bulk({r["loan_id"] for r in rows if r["loan_id"]})
    out, posts = [], Decimal("0.00")
    for line in lines_from_params(rows):
        loan = loans.get(line.loan_id)
        fits = applicable_amount(loan, amount=line.amount, effective=line.date) if loan else ZERO
        posts += fits
        out.append(
            {
                "number": line.number,
                "loan_number": line.loan_number,
                "date": line.date.isoformat(),
                "reference": line.reference,
                "amount": str(line.amount),
                "posts": str(fits),
                "suspense": str(line.amount - fits),
            }
        )
    total = remittance_total(rows)
    return {"total": str(total), "posts": str(posts), "suspense": str(total - posts), "lines": out}


def _batch_errors(channel: str, lender) -> list[RowError]:
    if channel not in REMITTANCE_CHANNELS or channel not in IN_HAND_CHANNELS:
        return [RowError(0, "Choose where the file comes from.")]
    if lender is None:
        return [RowError(0, "Choose the lender the file is for.")]
    return []


def remittance_import(
    *,
    channel: str,
    lender,
    actor,
    text: str = "",
    lines: list[dict] | None = None,
    file_name: str = "",
    today: dt.date | None = None,
) -> RemittanceResult:
    """Validate every line of `text` (or take `lines` a staff request stored, validated when
    it was made), then post them all or nothing, for `lender` (the lender whose lockbox or
    network account received the money; `today` defaults to its business date). Audited
    (`payment.remittance`)."""
    result = RemittanceResult(errors=_batch_errors(channel, lender))
    if result.errors:
        return result
    batch = Batch(lender=lender, channel=channel, today=today or business_date(lender))
    if lines is None:
        parsed = parse_lines(text, batch=batch, errors=result.errors)
    else:
        parsed = lines_from_params(lines)
    if result.errors:
        return result
    lines = parsed
    try:
        with transaction.atomic():
            # In date order, so a line dated earlier is not posted after a later one's interest.
            for line in sorted(lines, key=lambda x: (x.date, x.number)):
                _write(line, batch=batch, actor=actor, file_name=file_name, result=result)
            audit_record(
                actor=actor,
                action="payment.remittance",
                target=file_name or "remittance file",
                details={
                    "lender": lender.name,
                    "channel": channel,
                    "lines": len(lines),
                    "posted": result.posted,
                    "held": result.held,
                    "skipped": result.skipped,
                    "already_recorded": [str(r) for r in result.recorded],
                },
            )
    except _Rollback as exc:
        return RemittanceResult(errors=[exc.error])
    return result


def _imported_before(line: Line, *, key: str, channel: str) -> bool:
    """The line's money was imported before: under its key, or (files imported before keys
    named the money) under the old `remit:<channel>:<reference>` key with the same loan, date
    and amount."""
    if (
        Payment.objects.filter(idempotency_key=key).exists()
        or SuspenseItem.objects.filter(idempotency_key=key).exists()
    ):
        return True
    old = f"remit:{channel}:{line.reference}"
    same = {"loan_id": line.loan_id, "amount": line.amount}
    return (
        Payment.objects.filter(idempotency_key=old, effective_date=line.date, **same).exists()
        or SuspenseItem.objects.filter(idempotency_key=old, received_on=line.date, **same).exists()
    )


def _write(line: Line, *, batch: Batch, actor, file_name, result: RemittanceResult) -> None:
    key, channel = batch.key(line), batch.channel
    if _imported_before(line, key=key, channel=channel):
        result.skipped += 1
        return
    note = f"{file_name or 'remittance'} line {line.number}: {line.label}"
    if line.loan_id is None:
        suspense_hold(
            key=key,
            amount=line.amount,
            reason=SuspenseItem.Reason.UNIDENTIFIED,
            channel=channel,
            reference=line.reference,
            received_on=line.date,
            lender_id=batch.lender.pk,
            actor=actor,
            note=note,
        )
        result.held += 1
        return
    try:
        received = payment_record_received(
            loan_id=line.loan_id,
            channel=channel,
            amount=line.amount,
            effective_date=line.date,
            reference=line.reference,
            actor=actor,
            reason=note,
            idempotency_key=key,
            source=Payment.Source.REMITTANCE,
            today=batch.today,
        )
    except AlreadyRecorded as exc:  # the same receipt, recorded by hand or another way
        if exc.record.idempotency_key.startswith("remit:"):
            result.skipped += 1
        else:
            result.recorded.append(RowError(line.number, str(exc)))
        return
    except PaymentError as exc:
        raise _Rollback(RowError(line.number, str(exc))) from exc
    result.posted += received.payment is not None
    result.held += received.suspense is not None
