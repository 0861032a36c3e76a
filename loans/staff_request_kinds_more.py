"""Three staff request kinds the attacker review put behind four eyes (loans/staff_requests.py
decides who may act alone; loans/staff_request_kinds.py and staff_request_exec.py dispatch here):

- `remittance`: a whole remittance file, one request; the validated lines are its params (the
  file is never read again); executed by payments/services/remittance.py `remittance_import`
  under the lines' own keys, all or nothing.
- `suspense_apply`: held money applied to a loan (payments/services/suspense.py).
- `account_flag`: a flag that changes money (loans/flags.py CHANGES_MONEY: hardship pauses late
  fees, military caps the rate), set by loans/collections.py `account_flag_set`.

Nothing here writes until an `execute_*`, inside the caller's transaction.
"""

import datetime as dt

from . import flags
from .allocation import Balances, allocate, apply
from .models import Loan, StaffRequest

K = StaffRequest.Kind
KINDS = (K.REMITTANCE, K.SUSPENSE_APPLY, K.ACCOUNT_FLAG)


def lender_of(kind: str, params: dict):
    """A remittance file's lender (it names no one loan); None for every other kind."""
    from .models import Lender

    if kind != K.REMITTANCE:
        return None
    return Lender.objects.filter(pk=params.get("lender")).first()


def clean_params(kind: str, *, loan: Loan | None, amount, params: dict, reason: str, on):
    """Refuse now what the service would always refuse; the params as stored (JSON)."""
    from .staff_request_kinds import KindRefused

    if kind == K.REMITTANCE:
        return _clean_remittance(amount, params, KindRefused)
    if kind == K.SUSPENSE_APPLY:
        return _clean_apply(loan, amount, params, reason, on, KindRefused)
    from .collections import flag_set_check

    if params.get("flag") not in flags.CHANGES_MONEY:
        raise KindRefused("Only a hardship or military flag needs a second supervisor.")
    start, end = params["start_date"], params.get("end_date")
    flag_set_check(loan=loan, kind=params["flag"], start_date=start, end_date=end)
    return {
        "flag": params["flag"],
        "start_date": start.isoformat(),
        "end_date": end.isoformat() if end else None,
    }


def _clean_remittance(amount, params: dict, refused) -> dict:
    from payments.services.remittance import REMITTANCE_CHANNELS, remittance_total

    lender = lender_of(K.REMITTANCE, params)
    if lender is None or params.get("channel") not in REMITTANCE_CHANNELS:
        raise refused("Choose the lender and where the file comes from.")
    lines = params.get("lines") or []
    if not lines or remittance_total(lines) != amount:
        raise refused("The file's lines do not add up to its total.")
    return {
        "lender": lender.pk,
        "channel": params["channel"],
        "file_name": params.get("file_name", ""),
        "lines": lines,
    }


def _clean_apply(loan, amount, params, reason, on, refused) -> dict:
    from payments.models import SuspenseItem
    from payments.services.gate import applicable_amount
    from payments.services.ownership import money_lender_check
    from payments.services.suspense import _require_reason

    _require_reason(reason)
    item = SuspenseItem.objects.get(pk=params["item"])
    money_lender_check(lender_id=item.lender_id, loan=loan)
    if item.status != SuspenseItem.Status.OPEN or amount > item.balance:
        raise refused(f"This item holds ${item.balance:,}; use at most that.")
    fits = applicable_amount(loan, amount=amount, effective=on)
    if fits < amount:
        raise refused(f"This loan can take at most ${fits:,} on {on}.")
    return {"item": item.pk}


def preview(kind: str, before: Balances, amount) -> Balances:
    """Balances after: applied suspense pays like a payment; a flag moves no balance today."""
    if kind == K.SUSPENSE_APPLY:
        return apply(before, allocate(before, amount))
    return before


def snapshots(kind: str, *, loan, amount, params, before: dict, after: dict):
    """What the request page adds for these kinds (dollars and dates as strings)."""
    if kind == K.REMITTANCE:
        from payments.services.remittance import remittance_preview

        return {}, remittance_preview(params["lines"])
    if kind == K.SUSPENSE_APPLY:
        from payments.models import SuspenseItem

        held = SuspenseItem.objects.get(pk=params["item"]).balance
        return {**before, "suspense": str(held)}, {**after, "suspense": str(held - amount)}
    if params["flag"] == flags.MILITARY:  # 50 U.S.C. § 3937: at most 6 % while in service
        capped = min(loan.apr_percent, flags.SCRA_APR_CAP)
        before = {**before, "apr_percent": str(loan.apr_percent)}
        after = {**after, "apr_percent": str(capped)}
    else:
        after = {**after, "fees_paused": True}
    period = {"from": params["start_date"], "to": params["end_date"] or "until ended"}
    return before, {**after, **period}


def execute(request: StaffRequest, *, actor, on: dt.date, reason: str, key: str):
    from .staff_request_exec import posting_of
    from .staff_request_kinds import Done, KindRefused

    p = request.params
    if request.kind == K.REMITTANCE:
        from payments.services.remittance import remittance_import

        result = remittance_import(
            lines=p["lines"],
            channel=p["channel"],
            lender=request.lender,
            actor=actor,
            file_name=p.get("file_name", ""),
            today=on,
        )
        if not result.ok:
            raise KindRefused("; ".join(str(e) for e in result.errors))
        counts = {"posted": result.posted, "held": result.held, "skipped": result.skipped}
        return Done(params=counts)
    if request.kind == K.SUSPENSE_APPLY:
        from payments.services.suspense import suspense_apply

        payment = suspense_apply(
            item_id=p["item"],
            loan_id=request.loan_id,
            amount=request.amount,
            reason=reason,
            actor=actor,
        )
        return Done(posting_of(payment), payment, {"new_payment": payment.pk})
    from .collections import account_flag_set

    flag = account_flag_set(
        loan_id=request.loan_id,
        kind=p["flag"],
        start_date=dt.date.fromisoformat(p["start_date"]),
        end_date=dt.date.fromisoformat(p["end_date"]) if p["end_date"] else None,
        reason=reason,
        actor=actor,
    )
    return Done(params={"account_flag": flag.pk})
