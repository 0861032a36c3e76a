"""Staff pages for money from every channel (issue 13): record a check, wire or cash-network
payment; take a phone payment; import a remittance file; mark a check returned; move a
misapplied payment (suspense has its own pages: admin_suspense.py). Each page checks its
permission (403 otherwise), parses with a form, calls one service, shows a domain error next to
its field; the services write the audit rows. Behind the admin's second factor like every
admin page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from ismartpay.admin_forbidden import staff_refused
from ismartpay.core.templatetags.ui import usd
from ismartpay.core.today import business_date as lender_today_of
from loans.admin_actions import lender_today
from loans.admin_submit import staff_form_submit
from loans.four_eyes_rule import threshold_for
from loans.models import Loan, StaffRequest
from loans.staff_requests import (
    FormAlreadyUsed,
    StaffActionError,
    StaffActionNotAllowed,
    staff_action_submit,
)

from .errors import PaymentError
from .forms.staff_money import (
    MovePaymentForm,
    PhonePaymentForm,
    RecordReceivedForm,
    RemittanceForm,
    ReturnCheckForm,
    field_for_error,
    loan_initial,
    loan_opened_for,
    record_initial,
)
from .gateways.base import GatewayError
from .models import Payment, SuspenseItem
from .services.payoff import loan_reopened_without_autopay
from .services.phone import (
    payment_take_by_phone,
    phone_confirmation,
    phone_form_key,
    phone_key_from_form,
    phone_page_script,
)
from .services.received import received_label
from .services.remittance import remittance_check, remittance_total

RECORD = "payments.record_payment"
MANAGE_SUSPENSE = "payments.manage_suspense"
RETURN_CHECK = "accounts.reverse_payment"  # a returned check un-posts money: supervisors
REOPENS_WARNING = (
    "This loan is paid off: marking the check returned reopens it. Autopay that ended at payoff "
    "is not restarted (the borrower's authorization ended); the borrower is emailed the amount "
    "due and asked to set up autopay again."
)
REOPENED_NOTE = (
    "The loan is open again. Its autopay ended at payoff and stays ended: the borrower has been "
    "emailed the amount due and asked to set up autopay again."
)
K = StaffRequest.Kind


def requested(request, outcome, message=""):
    """Waiting for a second person: an info message (not a success: nothing is done yet)."""
    message = message or "Above the four-eyes threshold: a supervisor approves it."
    messages.info(request, message)
    return redirect(reverse("admin:loans_staffrequest_change", args=[outcome.request.pk]))


def _received_done(request, outcome):
    """Recorded alone (or the first submit of this form): the payment's page, or the suspense
    list when the loan could take none of it; above the threshold: the request's page."""
    if outcome.request is not None:
        lender = outcome.request.loan.lender  # the form found the loan
        limit = threshold_for(K.RECORD_RECEIVED, lender)
        message = f"Above {lender.name}'s {usd(limit)} limit for recording money alone: "
        return requested(request, outcome, message + "a supervisor approves it.")
    done = outcome.done
    suspense = SuspenseItem.objects.filter(pk=done.params.get("suspense")).first()
    messages.success(request, _recorded_text(done, suspense))
    if done.payment is None:
        return redirect(reverse("admin:payments_suspenseitem_changelist"))
    return redirect(reverse("admin:payments_payment_change", args=[done.payment.pk]))


def _recorded_text(done, suspense) -> str:
    label = received_label(done.params.get("channel", ""), done.params.get("reference", ""))
    what = f"Recorded {label[:1].lower()}{label[1:]} for {usd(done.amount)}"
    if done.payment is None:
        held = usd(suspense.amount if suspense else done.amount)
        return f"{what}: the loan could take none of it, so all {held} is held in suspense."
    if suspense:
        return (
            f"{what} as payment {done.payment.reference}; {usd(suspense.amount)} more than the "
            "loan could take is held in suspense."
        )
    return f"{what} as payment {done.payment.reference}."


def _phone_intro(loan) -> str:
    """The phone page's lead-in and the script to read (services.phone.phone_page_script)."""
    how = (
        "saying the amount and the card or account ending where marked"
        if loan is not None
        else "filling in each bracketed part"
    )
    return (
        "Charged through the same processor and checks as the borrower's own payment. Read "
        f"this aloud before you submit, {how}: " + phone_page_script(loan=loan, now=timezone.now())
    )


class StaffMoneyAdminMixin:
    """Mixed into PaymentAdmin: the channel pages and the per-payment return/move actions."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("record/", view(self.record_view), name="payments_payment_record"),
            path("phone/", view(self.phone_view), name="payments_payment_phone"),
            path("remittance/", view(self.remittance_view), name="payments_payment_remittance"),
            path(
                "<id:pk>/return-check/",
                view(self.return_check_view),
                name="payments_payment_return_check",
            ),
            path("<id:pk>/move/", view(self.move_view), name="payments_payment_move"),
            *super().get_urls(),
        ]

    def _page(self, request, *, title, form, intro="", extra=None):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "intro": intro,
            "opts": Payment._meta,
            **(extra or {}),
        }
        return TemplateResponse(request, "admin/payments/staff_money_form.html", context)

    def record_view(self, request):
        if not request.user.has_perm(RECORD):
            raise staff_refused(RECORD)
        initial = record_initial(request.GET)
        form = RecordReceivedForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid() and form.cleaned_data.get("loan"):
            data = form.cleaned_data
            try:
                outcome = staff_action_submit(
                    kind=K.RECORD_RECEIVED,
                    loan_id=data["loan"].pk,
                    amount=data["amount"],
                    reason=data["reason"]
                    or f"{received_label(data['channel'], data['reference'])} received",
                    actor=request.user,
                    on=lender_today(data["loan"]),
                    params={
                        "channel": data["channel"],
                        "reference": data["reference"],
                        "effective_date": data["effective_date"],
                    },
                    token=data["submit_token"],
                )
            except StaffActionNotAllowed as exc:
                raise PermissionDenied(str(exc)) from exc
            except StaffActionError as exc:
                message = str(exc)
                field = field_for_error(exc, form)
                field = "reference" if field is None and "reference" in message else field
                field = "channel" if field is None and "how the money came" in message else field
                field = "amount" if field is None and "amount" in message else field
                form.add_error(field, message)
            else:
                return _received_done(request, outcome)
        return self._page(request, title="Record a payment received", form=form)

    def phone_view(self, request):
        if not request.user.has_perm(RECORD):
            raise staff_refused(RECORD)
        loan = loan_opened_for(request.GET)
        form = PhonePaymentForm(
            request.POST or None,
            initial={"idempotency_key": phone_form_key(), **loan_initial(loan)},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                payment = payment_take_by_phone(
                    loan_id=data["loan_number"].pk,
                    amount=data["amount"],
                    authorized_by=data["authorized_by"],
                    actor=request.user,
                    idempotency_key=phone_key_from_form(data["idempotency_key"]),
                    card=data.get("card"),
                    bank=data.get("bank"),
                    confirm_duplicate=data["confirm_duplicate"],
                )
            except GatewayError as exc:  # the processor refused the card or account itself
                field = "card_number" if data["kind"] == "card" else "account_number"
                form.add_error(field, str(exc))
            except PaymentError as exc:
                form.add_error(field_for_error(exc, form), str(exc))
            else:
                ok = payment.status in ("posted", "pending")
                tone = messages.SUCCESS if ok else messages.WARNING
                messages.add_message(request, tone, phone_confirmation(payment))
                return redirect(reverse("admin:payments_payment_change", args=[payment.pk]))
        return self._page(
            request,
            title="Take a payment by phone",
            form=form,
            intro=_phone_intro(loan),
        )

    def remittance_view(self, request):
        """The file is validated here; the batch is one staff request (four eyes above the
        lender's threshold, loans/staff_requests.py), its lines stored, the file never re-read."""
        if not request.user.has_perm(RECORD):
            raise staff_refused(RECORD)
        form = RemittanceForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                form.add_error("file", "The file is not UTF-8 text.")
            else:
                errors = self._remittance_submit(request, form, text, upload.name[:100])
                if not isinstance(errors, list):
                    return errors  # done, or a request waiting for a supervisor
        return self._page(
            request, title="Import a remittance file", form=form, extra={"line_errors": errors}
        )

    def _remittance_submit(self, request, form, text: str, file_name: str):
        data = form.cleaned_data
        lender = data["lender"]
        lines, row_errors = remittance_check(text=text, channel=data["channel"], lender=lender)
        if row_errors:
            form.add_error("file", "Nothing was imported; fix these lines.")
            return [str(e) for e in row_errors]
        try:
            outcome = staff_action_submit(
                kind=K.REMITTANCE,
                loan_id=None,
                amount=remittance_total(lines),
                reason=f"Remittance file {file_name or '(unnamed)'} from {data['channel']}",
                actor=request.user,
                on=lender_today_of(lender),
                params={
                    "lender": lender.pk,
                    "channel": data["channel"],
                    "file_name": file_name,
                    "lines": lines,
                },
                token=data["submit_token"],
            )
        except StaffActionNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except StaffActionError as exc:
            form.add_error("file" if not isinstance(exc, FormAlreadyUsed) else None, str(exc))
            return []
        if outcome.request is not None:
            return requested(request, outcome)
        done = outcome.done.params
        messages.success(
            request,
            f"Imported: {done.get('posted', 0)} posted, {done.get('held', 0)} held in suspense, "
            f"{done.get('skipped', 0)} already imported.",
        )
        return redirect(reverse("admin:payments_payment_changelist"))

    def return_check_view(self, request, pk):
        if not request.user.has_perm(RETURN_CHECK):
            raise staff_refused(RETURN_CHECK)
        payment = get_object_or_404(Payment.objects.select_related("loan"), pk=pk)
        was_paid_off = payment.loan.status == Loan.Status.PAID_OFF
        form = ReturnCheckForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            outcome = staff_form_submit(
                form,
                kind=K.RETURN_CHECK,
                loan_id=payment.loan_id,
                payment_id=payment.pk,
                reason=form.cleaned_data["reason"],
                actor=request.user,
                on=lender_today(payment.loan),
                params={"return_code": form.cleaned_data["return_code"]},
                token=form.cleaned_data["submit_token"],
            )
            if outcome is not None:
                if outcome.request is not None:
                    return requested(request, outcome)
                messages.success(request, "Marked returned: reversed, returned-payment fee added.")
                if loan_reopened_without_autopay(
                    loan_id=payment.loan_id, was_paid_off=was_paid_off
                ):
                    messages.warning(request, REOPENED_NOTE)
                return redirect(reverse("admin:payments_payment_change", args=[payment.pk]))
        intro = REOPENS_WARNING if was_paid_off else ""
        return self._page(request, title=f"Check returned: {payment}", form=form, intro=intro)

    def move_view(self, request, pk):
        if not request.user.has_perm(MANAGE_SUSPENSE):
            raise staff_refused(MANAGE_SUSPENSE)
        payment = get_object_or_404(Payment, pk=pk)
        form = MovePaymentForm(request.POST or None)
        if request.method == "POST" and form.is_valid() and form.cleaned_data.get("loan"):
            outcome = staff_form_submit(
                form,
                error_field=field_for_error,
                kind=K.MOVE_PAYMENT,
                loan_id=payment.loan_id,
                payment_id=payment.pk,
                reason=form.cleaned_data["reason"],
                actor=request.user,
                on=lender_today(payment.loan),
                params={"to_loan": form.cleaned_data["loan"].pk},
                token=form.cleaned_data["submit_token"],
            )
            if outcome is not None:
                if outcome.request is not None:
                    return requested(request, outcome)
                messages.success(request, f"Moved to {form.cleaned_data['loan']}.")
                target = outcome.done.params.get("new_payment") or payment.pk
                return redirect(reverse("admin:payments_payment_change", args=[target]))
        return self._page(request, title=f"Move {payment} to the right loan", form=form)
