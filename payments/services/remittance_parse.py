"""Reading a remittance file (remittance.py): its columns, one line at a time into a `Line`
matched to the batch lender's loan, the key that names a line's money (`remittance_key`), and
the lines as a staff request stores them (`lines_to_params`, `lines_from_params`)."""

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal

from ismartpay.core.money import parse_money
from loans.importing import RowError
from loans.models import Loan

from ..errors import PaymentError
from .ownership import money_lender_check
from .received import clean_reference, effective_date_check

COLUMNS = ("loan_number", "amount", "date", "reference")
OPTIONAL_COLUMNS = ("lender_name",)
MAX_LINES = 20_000


@dataclass(frozen=True)
class Line:
    number: int
    loan_id: int | None
    loan_number: str  # as the file gave it
    label: str  # "Demo Auto Finance / L-1001" as the file gave it
    amount: Decimal
    date: dt.date
    reference: str


def remittance_key(
    *, lender_id: int, channel: str, reference: str, loan_number: str, date: dt.date, amount
) -> str:
    """The idempotency key of one remittance line: what identifies the money. A SHA-256 of the
    parts (70 characters, inside the 80 of the key columns)."""
    parts = (str(lender_id), channel, reference, loan_number, date.isoformat(), f"{amount:.2f}")
    return "remit:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Batch:
    lender: object  # loans.models.Lender
    channel: str
    today: dt.date

    def key(self, line: "Line") -> str:
        return remittance_key(
            lender_id=self.lender.pk,
            channel=self.channel,
            reference=line.reference,
            loan_number=line.loan_number,
            date=line.date,
            amount=line.amount,
        )


def lines_to_params(lines: list[Line]) -> list[dict]:
    return [
        {
            "number": x.number,
            "loan_id": x.loan_id,
            "loan_number": x.loan_number,
            "label": x.label,
            "amount": str(x.amount),
            "date": x.date.isoformat(),
            "reference": x.reference,
        }
        for x in lines
    ]


def lines_from_params(rows: list[dict]) -> list[Line]:
    return [
        Line(
            number=int(r["number"]),
            loan_id=r["loan_id"],
            loan_number=r["loan_number"],
            label=r["label"],
            amount=Decimal(r["amount"]),
            date=dt.date.fromisoformat(r["date"]),
            reference=r["reference"],
        )
        for r in rows
    ]


def parse_lines(text: str, *, batch: Batch, errors: list[RowError]) -> list[Line]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        errors.append(RowError(1, f"missing column(s): {', '.join(missing)}"))
        return []
    reader.fieldnames = header
    lines: list[Line] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(reader, start=2):
        if number > MAX_LINES + 1:
            errors.append(RowError(number, f"more than {MAX_LINES} lines; split the file"))
            break
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # a blank line
        try:
            line = _line(number, row, batch=batch)
        except ValueError as exc:
            errors.append(RowError(number, str(exc)))
            continue
        key = batch.key(line)
        if key in seen:
            errors.append(
                RowError(
                    number,
                    f"line {number} repeats line {seen[key]} (same loan, date, amount and "
                    f"reference {line.reference}): remove one, or give each its own reference",
                )
            )
            continue
        seen[key] = number
        lines.append(line)
    if not lines and not errors:
        errors.append(RowError(1, "the file has no lines"))
    return lines


def _line(number: int, row: dict, *, batch: Batch) -> Line:
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
    try:
        reference = clean_reference(cell("reference"))
    except PaymentError as exc:
        raise ValueError(f"reference: {exc}") from exc
    loan_number, lender = cell("loan_number"), cell("lender_name")
    if not loan_number:
        raise ValueError("loan_number: missing")
    loan = _match(loan_number, lender, batch=batch)
    try:
        effective_date_check(effective_date=date, today=batch.today, loan=loan)
    except PaymentError as exc:
        raise ValueError(f"date: {exc}") from exc
    return Line(
        number=number,
        loan_id=loan.pk if loan is not None else None,
        loan_number=loan_number,
        label=f"{lender} / {loan_number}" if lender else loan_number,
        amount=amount,
        date=date,
        reference=reference,
    )


def _match(loan_number: str, lender_name: str, *, batch: Batch) -> Loan | None:
    """The batch lender's loan the line names, or None (held as unidentified). A line naming
    only another lender's loan is refused (ValueError): that lender did not receive it."""
    loans = Loan.objects.filter(loan_number=loan_number).select_related("lender")
    if lender_name:
        loans = loans.filter(lender__name=lender_name)
    found = list(loans.order_by("pk")[:3])
    own = [loan for loan in found if loan.lender_id == batch.lender.pk]
    if not own and found:
        try:
            money_lender_check(lender_id=batch.lender.pk, loan=found[0])
        except PaymentError as exc:
            raise ValueError(f"loan_number: {exc}") from exc
    return own[0] if len(own) == 1 else None
