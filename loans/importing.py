"""Servicing import: load or update loans from the lender's CSV (columns in contracts.md).

Every row is validated first; any bad row is reported by its line number and nothing at all is
written. Good files are written in one transaction. An existing `(lender_name, loan_number)`
is updated; a change to its balances is recorded on the ledger as an `adjustment` posting, so
balances still equal the opening balances plus the postings. The optional column
`late_fees_assessed_through` says which installments' late fees the lender already dealt with
(README, "Servicing import columns"), so the nightly job never assesses them a second time.
"""

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from ismartpay.core.money import ZERO, parse_money

from .calendar import due_date, due_dates_through
from .history import PRIOR_COLUMNS, loan_history_record
from .models import Lender, Loan
from .schedule import amortization_schedule, installment_amount
from .services import loan_apply_lender_record, loan_create_from_lender_record

COLUMNS = (
    "lender_name",
    "loan_number",
    "vin",
    "year",
    "make",
    "model",
    "billing_zip",
    "borrower_email",
    "original_principal",
    "apr_percent",
    "term_months",
    "contract_date",
    "first_due_date",
    "due_day",
    "principal_balance",
    "interest_paid_through",
    "unpaid_fees",
)
# Optional columns: a file without them means what it meant before they existed.
#   late_fees_assessed_through  the last installment number whose late fee the lender already
#       dealt with (assessed, or not owed); blank or absent = every installment whose grace
#       period ended before the import date. A re-import never lowers it.
#   payments_to_date, interest_paid_to_date, interest_paid_this_year  dollars the lender
#       received before the record's date: all payments, their interest, and their interest in
#       the import date's calendar year (the three together or none); loans/history.py
#   last_payment_date, last_payment_amount  the last payment the lender received (together)
#   Blank or absent history columns keep what the loan had.
OPTIONAL_COLUMNS = ("late_fees_assessed_through", *PRIOR_COLUMNS)
MAX_ROWS = 50_000
_VIN_RE = re.compile(r"[A-HJ-NPR-Z0-9]{17}")  # no I, O or Q in a VIN
_ZIP_RE = re.compile(r"[0-9]{5}(-[0-9]{4})?")
_APR_RE = re.compile(r"[0-9]{1,2}(\.[0-9]{1,3})?")


@dataclass(frozen=True)
class RowError:
    line: int  # line in the file, the header being line 1
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _RowInvalid(ValueError):
    pass


def _text(row: dict, name: str, max_length: int, *, required: bool = True) -> str:
    value = (row.get(name) or "").strip()
    if required and not value:
        raise _RowInvalid(f"{name} is missing")
    if len(value) > max_length:
        raise _RowInvalid(f"{name} is longer than {max_length} characters")
    return value


def _int(row: dict, name: str, low: int, high: int) -> int:
    value = _text(row, name, 6)
    if not value.isdigit() or not low <= int(value) <= high:
        raise _RowInvalid(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return int(value)


def _money(row: dict, name: str) -> Decimal:
    value = _text(row, name, 20)
    try:
        return parse_money(value)
    except ValueError:
        raise _RowInvalid(f"{name} must be an amount like 1234.56, not {value!r}") from None


def _date(row: dict, name: str) -> dt.date:
    value = _text(row, name, 10)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _RowInvalid(f"{name} must be a date like 2026-01-31, not {value!r}") from None


def _late_fees_through(row: dict, fields: dict, today: dt.date) -> int | None:
    """The optional `late_fees_assessed_through`: None when blank or absent."""
    value = _text(row, "late_fees_assessed_through", 3, required=False)
    if not value:
        return None
    due = due_dates_through(
        fields["first_due_date"], fields["due_day"], fields["term_months"], today
    )
    if not (value.isascii() and value.isdigit()) or int(value) > due:
        raise _RowInvalid(
            f"late_fees_assessed_through must be a whole number from 0 to {due} (the "
            f"installments due by {today}), not {value!r}"
        )
    return int(value)


def _parse_row(row: dict, today: dt.date) -> dict:
    """Validate one CSV row (a record dated `today`); return the Loan fields + `lender_name`."""
    if None in row or any(value is None for value in row.values()):
        raise _RowInvalid("the row does not have the header's number of columns")
    vin, billing_zip, email = _vehicle_and_borrower(row)
    terms = _contract_terms(row)
    installment, paid_toward = _amortized(terms)
    fields = {
        "lender_name": _text(row, "lender_name", 120),
        "loan_number": _text(row, "loan_number", 32),
        "vin": vin,
        "vehicle_year": _int(row, "year", 1950, 2100),
        "vehicle_make": _text(row, "make", 40),
        "vehicle_model": _text(row, "model", 60),
        "billing_zip": billing_zip,
        "borrower_email": email,
        "original_principal": terms["original_principal"],
        "apr_percent": terms["apr_percent"],
        "term_months": terms["term_months"],
        "contract_date": terms["contract_date"],
        "first_due_date": terms["first_due_date"],
        "due_day": terms["due_day"],
        "installment_amount": installment,
        "principal_balance": terms["principal_balance"],
        "accrued_interest": ZERO,
        "interest_accrued_through": terms["interest_accrued_through"],
        "unpaid_fees": _money(row, "unpaid_fees"),
        "paid_toward_installments": paid_toward,
    }
    fields["late_fees_assessed_through"] = _late_fees_through(row, fields, today)
    fields["history"] = _history(row, fields, today)
    return fields


def _vehicle_and_borrower(row: dict) -> tuple[str, str, str]:
    """The row's VIN (upper case), billing ZIP and borrower email (may be blank), checked."""
    vin = _text(row, "vin", 17).upper()
    if not _VIN_RE.fullmatch(vin):
        raise _RowInvalid("vin must be 17 letters and digits (no I, O or Q)")
    billing_zip = _text(row, "billing_zip", 10)
    if not _ZIP_RE.fullmatch(billing_zip):
        raise _RowInvalid("billing_zip must be a US ZIP code like 10001 or 10001-1234")
    email = _text(row, "borrower_email", 254, required=False)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise _RowInvalid(f"borrower_email {email!r} is not an email address") from None
    return vin, billing_zip, email


def _contract_terms(row: dict) -> dict:
    """The row's contract terms and balances, checked against each other, by Loan field."""
    apr_text = _text(row, "apr_percent", 7)
    if not _APR_RE.fullmatch(apr_text) or Decimal(apr_text) > 36:
        raise _RowInvalid(f"apr_percent must be from 0 to 36 like 6.49, not {apr_text!r}")
    original = _money(row, "original_principal")
    if original <= 0:
        raise _RowInvalid("original_principal must be more than 0")
    principal = _money(row, "principal_balance")
    if principal > original:
        raise _RowInvalid("principal_balance cannot be more than original_principal")
    term = _int(row, "term_months", 1, 120)
    due_day = _int(row, "due_day", 1, 31)
    contract_date = _date(row, "contract_date")
    first_due = _date(row, "first_due_date")
    if first_due <= contract_date:
        raise _RowInvalid("first_due_date must be after contract_date")
    if due_date(first_due.year, first_due.month, due_day) != first_due:
        raise _RowInvalid(f"first_due_date {first_due} does not fall on due_day {due_day}")
    paid_through = _date(row, "interest_paid_through")
    if paid_through < contract_date:
        raise _RowInvalid("interest_paid_through cannot be before contract_date")
    return {
        "original_principal": original,
        "apr_percent": Decimal(apr_text),
        "term_months": term,
        "contract_date": contract_date,
        "first_due_date": first_due,
        "due_day": due_day,
        "principal_balance": principal,
        "interest_accrued_through": paid_through,
    }


def _amortized(terms: dict) -> tuple[Decimal, Decimal]:
    """The installment, and what the installments the principal has come down by add up to."""
    original, apr, term = terms["original_principal"], terms["apr_percent"], terms["term_months"]
    principal = terms["principal_balance"]
    try:
        installment = installment_amount(original, apr, term)
        schedule = amortization_schedule(
            original, apr, term, terms["first_due_date"], terms["due_day"]
        )
    except (ValueError, InvalidOperation) as exc:
        raise _RowInvalid(f"the loan terms do not amortize: {exc}") from None
    # Installments covered: how far along the contract schedule the principal has come.
    covered = sum(1 for line in schedule if line.balance_after >= principal)
    if principal > 0:
        covered = min(covered, term - 1)
    return installment, sum((line.payment for line in schedule[:covered]), Decimal("0.00"))


def _optional_money(row: dict, name: str) -> Decimal | None:
    if not _text(row, name, 20, required=False):
        return None
    value = _money(row, name)
    if value < 0:
        raise _RowInvalid(f"{name} cannot be negative")
    return value


def _history(row: dict, fields: dict, today: dt.date) -> dict:
    """The optional payment-history columns (None: blank or absent, keep what the loan has)."""
    history = {
        name: _optional_money(row, name) for name in PRIOR_COLUMNS if name != "last_payment_date"
    }
    history["last_payment_date"] = (
        _date(row, "last_payment_date")
        if _text(row, "last_payment_date", 10, required=False)
        else None
    )
    totals = ("payments_to_date", "interest_paid_to_date", "interest_paid_this_year")
    given = [history[name] is not None for name in totals]
    if any(given) and not all(given):
        raise _RowInvalid(
            "give payments_to_date, interest_paid_to_date and interest_paid_this_year together"
        )
    if all(given):
        if history["interest_paid_to_date"] > history["payments_to_date"]:
            raise _RowInvalid("interest_paid_to_date cannot be more than payments_to_date")
        if history["interest_paid_this_year"] > history["interest_paid_to_date"]:
            raise _RowInvalid("interest_paid_this_year cannot be more than interest_paid_to_date")
    last = (history["last_payment_date"], history["last_payment_amount"])
    if (last[0] is None) != (last[1] is None):
        raise _RowInvalid("give last_payment_date and last_payment_amount together")
    if last[0] is not None and not fields["contract_date"] <= last[0] <= today:
        raise _RowInvalid(f"last_payment_date must be from contract_date to {today}, not {last[0]}")
    return history


def _read(text: str, result: ImportResult, today: dt.date) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in COLUMNS if name not in header]
    unknown = [name for name in header if name not in (*COLUMNS, *OPTIONAL_COLUMNS)]
    if missing or unknown:
        parts = []
        if missing:
            parts.append("missing column(s): " + ", ".join(missing))
        if unknown:
            parts.append("unknown column(s): " + ", ".join(unknown))
        result.errors.append(RowError(1, "; ".join(parts)))
        return []
    reader.fieldnames = header
    rows: list[tuple[int, dict]] = []
    seen: dict[tuple[str, str], int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if len(rows) >= MAX_ROWS:
                result.errors.append(RowError(line, f"more than {MAX_ROWS} rows"))
                break
            if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                continue  # blank line
            try:
                fields = _parse_row(row, today)
            except _RowInvalid as exc:
                result.errors.append(RowError(line, str(exc)))
                continue
            key = (fields["lender_name"], fields["loan_number"])
            if key in seen:
                result.errors.append(
                    RowError(line, f"loan {key[1]} of {key[0]} is also on line {seen[key]}")
                )
                continue
            seen[key] = line
            rows.append((line, fields))
    except csv.Error as exc:
        result.errors.append(RowError(reader.line_num, f"unreadable CSV: {exc}"))
    return rows


def import_loans(text: str, *, today: dt.date, actor=None) -> ImportResult:
    """Validate every row of `text` (the CSV), then create or update all loans, or none."""
    result = ImportResult()
    if text.startswith("\ufeff"):
        text = text[1:]  # Excel's UTF-8 byte-order mark
    rows = _read(text, result, today)
    if result.errors:
        return result
    if not rows:
        result.errors.append(RowError(2, "the file has no loans"))
        return result
    with transaction.atomic():
        lenders: dict[str, Lender] = {}
        for line, fields in rows:
            name = fields.pop("lender_name")
            history = fields.pop("history")
            if name not in lenders:
                lenders[name], _ = Lender.objects.get_or_create(name=name)
            try:
                with transaction.atomic():
                    loan = Loan.objects.filter(
                        lender=lenders[name], loan_number=fields["loan_number"]
                    ).first()
                    if loan is None:
                        loan = loan_create_from_lender_record(
                            lender=lenders[name], record=fields, on=today
                        )
                        result.created += 1
                    else:
                        loan_apply_lender_record(
                            loan_id=loan.pk,
                            record=fields,
                            on=today,
                            actor=actor,
                            memo=f"Lender record update (import line {line})",
                        )
                        result.updated += 1
                    loan_history_record(loan_id=loan.pk, figures=history, on=today)
            except (IntegrityError, ValueError) as exc:
                result.errors.append(RowError(line, f"could not be saved: {exc}"))
        if result.errors:
            transaction.set_rollback(True)
            result.created = result.updated = 0
    return result
