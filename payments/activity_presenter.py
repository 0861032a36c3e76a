"""Account activity as the borrower reads it: a label, a detail line and a tone per entry."""

from dataclasses import dataclass
from decimal import Decimal

from ismartpay.core.templatetags.ui import usd
from loans.models import LoanPosting

from .activity import ActivityEntry, Kind
from .declines import reason_for

K = LoanPosting.Kind

TONES = {
    Kind.PAYMENT: "success",
    Kind.FEE: "danger",
    Kind.FEE_WAIVER: "success",
    Kind.RETURN: "danger",
    Kind.REVERSAL: "neutral",
    Kind.REFUND: "neutral",
    Kind.ADJUSTMENT: "info",
    Kind.INTEREST: "neutral",
}
KIND_LABELS = dict(Kind.CHOICES)


@dataclass(frozen=True)
class ActivityRow:
    entry: ActivityEntry
    label: str
    detail: str
    tone: str
    kind_label: str
    reference: str  # the payment's reference, or ""

    @property
    def change_text(self) -> str:
        return signed_usd(self.entry.change)


def signed_usd(amount: Decimal) -> str:
    """ "+$25.00" for what adds to the balance, "−$300.00" for what pays it down."""
    if amount > 0:
        return f"+{usd(amount)}"
    if amount < 0:
        return f"−{usd(-amount)}"
    return usd(amount)


def _payment_how(entry: ActivityEntry) -> str:
    payment = entry.payment
    if payment is None:
        return ""
    parts = [payment.get_channel_display()]
    if payment.method_label:
        parts.append(payment.method_label)
    if payment.source == payment.Source.AUTOPAY:
        parts.insert(0, "Autopay")
    return " · ".join(dict.fromkeys(parts))


def _label(entry: ActivityEntry) -> tuple[str, str]:
    posting, payment = entry.posting, entry.payment
    if entry.kind == Kind.INTEREST:
        return "Interest", f"Daily interest up to {entry.effective_date:%b %-d, %Y}"
    if entry.kind == Kind.REFUND and posting is None:
        return (
            f"Overpayment of {usd(entry.extra['unapplied'])} refunded",
            f"Payment {payment.reference}: more than the loan could take, sent back to you",
        )
    if entry.kind == Kind.PAYMENT:
        label = "Payoff payment" if payment is not None and payment.is_payoff else "Payment"
        if posting.principal_only:
            label = "Extra payment to principal"
        return label, _payment_how(entry)
    if entry.kind == Kind.FEE:
        if posting.kind == K.LATE_FEE:
            return (
                "Late fee",
                f"Installment {posting.installment_number} paid after the grace period",
            )
        return "Returned-payment fee", "Your bank returned a payment"
    if entry.kind == Kind.FEE_WAIVER:
        return "Fee waived", posting.memo
    if entry.kind == Kind.RETURN:
        code = payment.return_code
        reason = reason_for(code).title if code else "Returned by your bank"
        return f"Payment returned ({code})" if code else "Payment returned", reason
    if entry.kind == Kind.REFUND:
        return "Payment refunded", posting.memo
    if entry.kind == Kind.REVERSAL:
        target = posting.reverses.get_kind_display().lower() if posting.reverses else "entry"
        return f"Reversal of a {target}", posting.memo
    if posting.kind == K.WRITE_OFF:
        return "Payoff residual written off", posting.memo
    return "Lender record update", posting.memo


def activity_rows(entries: list[ActivityEntry]) -> list[ActivityRow]:
    rows = []
    for entry in entries:
        label, detail = _label(entry)
        rows.append(
            ActivityRow(
                entry=entry,
                label=label,
                detail=detail or "",
                tone=TONES[entry.kind],
                kind_label=KIND_LABELS[entry.kind],
                reference=entry.payment.reference if entry.payment else "",
            )
        )
    return rows
