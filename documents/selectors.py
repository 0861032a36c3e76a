"""Reads for document pages. Access to the loan is checked first (loans.selectors
loan_get_for_user); these return None for "not on this loan" and the view makes it a 404."""

from .models import PaperlessConsent, Statement, TitleRelease, YearEndStatement


def statements_for_loan(loan) -> list[Statement]:
    return list(Statement.objects.filter(loan=loan).order_by("-period_end", "-pk"))


def year_ends_for_loan(loan) -> list[YearEndStatement]:
    return list(YearEndStatement.objects.filter(loan=loan).order_by("-year"))


def statement_for_loan(loan, statement_id: int) -> Statement | None:
    return (
        Statement.objects.filter(loan=loan, pk=statement_id).select_related("loan__lender").first()
    )


def year_end_for_loan(loan, year: int) -> YearEndStatement | None:
    return (
        YearEndStatement.objects.filter(loan=loan, year=year).select_related("loan__lender").first()
    )


def paperless_consent_for(user) -> PaperlessConsent | None:
    """The person's active consent, or None (paper)."""
    return PaperlessConsent.objects.filter(user=user, withdrawn_at__isnull=True).first()


def title_release_for(loan) -> TitleRelease | None:
    return TitleRelease.objects.filter(loan=loan).first()


def loan_documents(loan) -> dict:
    """The loan page's documents card: paid-in-full facts (None unless paid off) and title."""
    from .payoff import paid_in_full

    paid_off = loan.status == loan.Status.PAID_OFF
    return {
        "paid_off": paid_off,
        "paid_in_full": paid_in_full(loan) if paid_off else None,
        "title": title_release_for(loan) if paid_off else None,
    }
