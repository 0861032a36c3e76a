"""The staff's global search (issue 13, "Dashboard and search"): one box that finds borrowers,
loans, payments and payment methods by email, name, phone, loan number, VIN last 6, payment
reference and card/account last 4. Four queries whatever matches.

A full card or account number is never searched for, shown back or written to the audit log:
a query holding 12 or more digits in a row (a card is 13–19, a bank account up to 17; a phone
number is at most 15 digits, typed with separators that break the run) is refused, and the
page and the audit row show it only redacted. Results show methods by their last 4 alone.
"""

import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Replace

from loans.models import Loan
from payments.models import Payment, PaymentMethod

LIMIT = 25  # rows per section; more means the query should be narrower
FULL_NUMBER = re.compile(r"\d{12,}")  # after spaces and dashes are removed
_SEPARATORS = re.compile(r"[\s\-.()+/_,]")
MIN_PHONE_DIGITS = 7  # fewer digits than a local number would match half the book
REFUSED = "Search by the last 4 digits only: full card and account numbers are never searched."


@dataclass
class SearchResults:
    query: str  # as shown back: redacted when refused
    refused: str = ""
    borrowers: list = field(default_factory=list)
    loans: list = field(default_factory=list)
    payments: list = field(default_factory=list)
    methods: list = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "borrowers": len(self.borrowers),
            "loans": len(self.loans),
            "payments": len(self.payments),
            "methods": len(self.methods),
        }

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())


def holds_full_number(text: str) -> bool:
    """True when `text` holds what may be a whole card or bank account number."""
    return bool(FULL_NUMBER.search(_SEPARATORS.sub("", text or "")))


def redact(text: str) -> str:
    """`text` with every run of digits longer than 4 cut to its last 4 (for display, logs)."""
    # The same separators the refusal strips, so "4242.4242.4242.4242" is cut like "4242 4242 …".
    return re.sub(
        r"\d[\d\s\-.()+/_,]{4,}\d", lambda m: "•••• " + re.sub(r"\D", "", m[0])[-4:], text
    )


def phone_digits(text: str) -> str | None:
    """The digits of a typed phone number ("(555) 309-1144" -> "5553091144"), or None when
    `text` holds anything else."""
    digits = _SEPARATORS.sub("", text or "")
    return digits if digits.isdigit() else None


def digits_of(expression: str):
    """The phone field with the usual separators removed, in SQL (portable: no regex)."""
    value = expression
    for sep in ("-", " ", "(", ")", ".", "+"):
        value = Replace(value, Value(sep), Value(""))
    return value


def staff_search(query: str) -> SearchResults:
    """What `query` finds, each section newest first and capped at LIMIT rows."""
    q = (query or "").strip()[:100]
    if not q:
        return SearchResults(query="")
    if holds_full_number(q):
        return SearchResults(query=redact(q), refused=REFUSED)
    digits = _SEPARATORS.sub("", q)
    is_number = digits.isdigit()
    last4 = digits if is_number and len(digits) == 4 else None

    methods = _methods_ending_in(last4) if last4 else PaymentMethod.objects.none()
    matched_users = _users_matching(q, digits, is_number, last4)
    users = matched_users.distinct().order_by("-pk").only("email", "full_name", "phone", "is_staff")
    loans = _loans_matching(q, matched_users, last4)
    payments = _payments_matching(q, last4)
    return SearchResults(
        query=q,
        borrowers=list(users[:LIMIT]),
        loans=list(loans[:LIMIT]),
        payments=list(payments[:LIMIT]),
        methods=list(methods[:LIMIT]),
    )


def _methods_ending_in(last4: str) -> QuerySet:
    """Saved methods whose last four digits are `last4`, with their owners."""
    return (
        PaymentMethod.objects.filter(last4=last4)
        .select_related("owner")
        .only(  # never the (encrypted) account number, not even into memory
            "kind",
            "last4",
            "brand",
            "account_type",
            "exp_month",
            "exp_year",
            "removed_at",
            "owner__email",
            "owner__full_name",
        )
        .order_by("-pk")
    )


def _users_matching(q: str, digits: str, is_number: bool, last4: str | None) -> QuerySet:
    """Users by email, name, phone digits or a saved method's last four (not yet distinct)."""
    user_match = Q(email__iexact=q) | Q(full_name__icontains=q)
    if "@" in q:
        user_match |= Q(email__icontains=q)
    if is_number and len(digits) >= MIN_PHONE_DIGITS:
        user_match |= Q(phone_digits__contains=digits)
    if last4:
        user_match |= Q(payment_methods__last4=last4)
    User = get_user_model()
    return User.objects.annotate(phone_digits=digits_of("phone")).filter(user_match)


def _loans_matching(q: str, matched_users: QuerySet, last4: str | None) -> QuerySet:
    """Loans by number, borrower, payment reference, a matched user's link, VIN tail or card."""
    loan_match = (
        Q(loan_number__iexact=q)
        | Q(borrower_email__iexact=q)
        | Q(payments__reference__iexact=q)
        | Q(pk__in=matched_users.values("loan_links__loan"))
    )
    if len(q) == 6 and q.isalnum():
        loan_match |= Q(vin__iendswith=q)
    if last4:
        loan_match |= Q(payments__method__last4=last4)
    return (
        Loan.objects.filter(loan_match)
        .distinct()
        .select_related("lender")
        .order_by("-pk")
        .only(
            "loan_number",
            "vin",
            "vehicle_year",
            "vehicle_make",
            "vehicle_model",
            "borrower_email",
            "principal_balance",
            "status",
            "lender__name",
        )
    )


def _payments_matching(q: str, last4: str | None) -> QuerySet:
    """Payments by our reference, the channel's reference or the method's last four."""
    payment_match = Q(reference__iexact=q) | Q(channel_reference__iexact=q)
    if last4:
        payment_match |= Q(method__last4=last4)
    return (
        Payment.objects.filter(payment_match)
        .select_related("loan")
        .order_by("-created_at", "-pk")
        .only(
            "reference",
            "amount",
            "status",
            "channel",
            "method_label",
            "effective_date",
            "payer_email",
            "created_at",
            "loan__loan_number",
        )
    )
