"""Remittance import: a CSV from a lockbox or a cash network, one payment a line.

Columns (header row, order free, names exact): `loan_number, amount, date, reference`, and
optionally `lender_name` (needed when two lenders use the same loan number). Dates are ISO
`YYYY-MM-DD`; amounts dollars with at most 2 decimals. Every line is validated first and any
bad line is reported by its number with nothing written; a good file is written in one
transaction. Idempotent by reference: a line whose `remit:<channel>:<reference>` was imported
before is skipped, so re-importing the same file posts nothing twice. A line matching no loan
(or more than one) is held in suspense as unidentified; a closed loan's or an overpayment's
money is held there too (received.py)."""

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from accounts.audit import audit_record
from ismartpay.core.money import parse_money
from ismartpay.core.today import business_date
from loans.importing import RowError
from loans.models import Loan

from ..errors import PaymentError
from ..models import Payment, SuspenseItem
from .received import IN_HAND_CHANNELS, clean_reference, payment_record_received
from .suspense import suspense_hold

COLUMNS = ("loan_number", "amount", "date", "reference")
OPTIONAL_COLUMNS = ("lender_name",)
MAX_LINES = 20_000
REMITTANCE_CHANNELS = (
    Payment.Channel.LOCKBOX,
    Payment.Channel.MONEYGRAM,
    Payment.Channel.WESTERN_UNION,
    Payment.Channel.PAYNEARME,
)


@dataclass(frozen=True)
class _Line:
    number: int
    loan_id: int | None
    label: str  # "Demo Auto Finance / L-1001" as the file gave it
    amount: Decimal
    date: dt.date
    reference: str


@dataclass
class RemittanceResult:
    posted: int = 0  # lines posted to a loan (all or part)
    held: int = 0  # lines whose money (all or part) went to suspense
    skipped: int = 0  # lines imported before (same reference)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rollback(Exception):
    def __init__(self, error: RowError):
        self.error = error


def remittance_import(
    *, text: str, channel: str, actor, file_name: str = "", today: dt.date | None = None
) -> RemittanceResult:
    """Validate every line, then post them all or nothing. Audited (`payment.remittance`)."""
    if channel not in REMITTANCE_CHANNELS or channel not in IN_HAND_CHANNELS:
        return RemittanceResult(errors=[RowError(0, "Choose where the file comes from.")])
    today = today or business_date()
    result = RemittanceResult()
    lines = _parse(text, today=today, errors=result.errors)
    if result.errors:
        return result
    try:
        with transaction.atomic():
            # In date order, so a line dated earlier is not posted after a later one's interest.
            for line in sorted(lines, key=lambda x: (x.date, x.number)):
                _write(line, channel=channel, actor=actor, file_name=file_name, result=result)
            audit_record(
                actor=actor,
                action="payment.remittance",
                target=file_name or "remittance file",
                details={
                    "channel": channel,
                    "lines": len(lines),
                    "posted": result.posted,
                    "held": result.held,
                    "skipped": result.skipped,
                },
            )
    except _Rollback as exc:
        return RemittanceResult(errors=[exc.error])
    return result


def _write(line: _Line, *, channel, actor, file_name, result: RemittanceResult) -> None:
    key = f"remit:{channel}:{line.reference}"
    if (
        Payment.objects.filter(idempotency_key=key).exists()
        or SuspenseItem.objects.filter(idempotency_key=key).exists()
    ):
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
            today=line.date,
        )
    except PaymentError as exc:
        raise _Rollback(RowError(line.number, str(exc))) from exc
    result.posted += received.payment is not None
    result.held += received.suspense is not None


def _parse(text: str, *, today: dt.date, errors: list[RowError]) -> list[_Line]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        errors.append(RowError(1, f"missing column(s): {', '.join(missing)}"))
        return []
    reader.fieldnames = header
    lines: list[_Line] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(reader, start=2):
        if number > MAX_LINES + 1:
            errors.append(RowError(number, f"more than {MAX_LINES} lines; split the file"))
            break
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # a blank line
        try:
            line = _line(number, row, today=today)
        except ValueError as exc:
            errors.append(RowError(number, str(exc)))
            continue
        if line.reference in seen:
            errors.append(
                RowError(number, f"reference {line.reference} repeats line {seen[line.reference]}")
            )
            continue
        seen[line.reference] = number
        lines.append(line)
    if not lines and not errors:
        errors.append(RowError(1, "the file has no lines"))
    return lines


def _line(number: int, row: dict, *, today: dt.date) -> _Line:
    def cell(name: str) -> str:
        value = row.get(name)
        return value.strip() if isinstance(value, str) else ""

    try:
        amount = parse_money(cell("amount"))
    except ValueError as exc:
        raise ValueError(f"amount: {exc}") from exc
    if amount <= 0:
        raise ValueError("amount: must be more than 0.00")
    try:
        date = dt.date.fromisoformat(cell("date"))
    except ValueError as exc:
        raise ValueError("date: use YYYY-MM-DD") from exc
    if date > today:
        raise ValueError("date: in the future")
    try:
        reference = clean_reference(cell("reference"))
    except PaymentError as exc:
        raise ValueError(f"reference: {exc}") from exc
    loan_number, lender = cell("loan_number"), cell("lender_name")
    if not loan_number:
        raise ValueError("loan_number: missing")
    loans = Loan.objects.filter(loan_number=loan_number)
    if lender:
        loans = loans.filter(lender__name=lender)
    matches = list(loans.values_list("pk", flat=True)[:2])
    return _Line(
        number=number,
        loan_id=matches[0] if len(matches) == 1 else None,
        label=f"{lender} / {loan_number}" if lender else loan_number,
        amount=amount,
        date=date,
        reference=reference,
    )
