"""Staff pages for money from every channel (issue 13): record a check, wire or cash-network
payment; take a phone payment; import a remittance file; mark a check returned; move a
misapplied payment; apply or refund suspense. Each page checks its permission (403 otherwise),
parses with a form, calls one service, shows a domain error next to its field; the services
write the audit rows. Behind the admin's second factor like every admin page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from ismartpay.admin_forbidden import staff_refused
from ismartpay.core.templatetags.ui import usd
from loans.admin_actions import lender_today
from loans.models import Loan, StaffRequest
from loans.staff_requests import StaffActionError, StaffActionNotAllowed, staff_action_submit

from .errors import PaymentError
from .forms.staff_money import (
    MovePaymentForm,
    PhonePaymentForm,
    RecordReceivedForm,
    RemittanceForm,
    ReturnCheckForm,
    field_for_error,
)
from .gateways.base import GatewayError
from .models import Payment, SuspenseItem
from .services import new_idempotency_key
from .services.payoff import loan_reopened_without_autopay
from .services.phone import PHONE_AUTHORIZATION_SCRIPT, payment_take_by_phone
from .services.received import received_label
from .services.remittance import remittance_import

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


def requested_redirect(request, outcome):
    messages.success(request, "Above the four-eyes threshold: another supervisor approves it.")
    return redirect(reverse("admin:loans_staffrequest_change", args=[outcome.request.pk]))


def _received_done(request, outcome):
    """Recorded alone (or the first submit of this form): the payment's page, or the suspense
    list when the loan could take none of it; above the threshold: the request's page."""
    if outcome.request is not None:
        return requested_redirect(request, outcome)
    done = outcome.done
    suspense = SuspenseItem.objects.filter(pk=done.params.get("suspense")).first()
    label = received_label(done.params.get("channel", ""), done.params.get("reference", ""))
    what = f"Recorded {label[:1].lower()}{label[1:]} for {usd(done.amount)}"
    if done.payment is None:
        held = usd(suspense.amount if suspense else done.amount)
        text = f"{what}: the loan could take none of it, so all {held} is held in suspense."
    elif suspense:
        text = (
            f"{what} as payment {done.payment.reference}; {usd(suspense.amount)} more than the "
            "loan could take is held in suspense."
        )
    else:
        text = f"{what} as payment {done.payment.reference}."
    messages.success(request, text)
    if done.payment is None:
        return redirect(reverse("admin:payments_suspenseitem_changelist"))
    return redirect(reverse("admin:payments_payment_change", args=[done.payment.pk]))


def _loan_initial(request) -> dict:
    """The loan a page was opened for from the loan's page (?loan_number=…&lender=…)."""
    return {key: request.GET[key] for key in ("loan_number", "lender") if key in request.GET}


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
        initial = {"effective_date": timezone.localdate(), **_loan_initial(request)}
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
        form = PhonePaymentForm(
            request.POST or None,
            initial={"idempotency_key": new_idempotency_key(), **_loan_initial(request)},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                payment = payment_take_by_phone(
                    loan_id=data["loan_number"].pk,
                    amount=data["amount"],
                    authorized_by=data["authorized_by"],
                    actor=request.user,
                    idempotency_key=data["idempotency_key"],
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
                messages.add_message(
                    request,
                    tone,
                    f"{payment.get_status_display()}. Confirmation number {payment.reference} "
                    "— read it back to the borrower.",
                )
                return redirect(reverse("admin:payments_payment_change", args=[payment.pk]))
        return self._page(
            request,
            title="Take a payment by phone",
            form=form,
            intro="Charged through the same processor and checks as the borrower's own "
            "payment. Read this aloud before you submit: "
            + PHONE_AUTHORIZATION_SCRIPT.format(
                lender="[lender]",
                amount="[amount]",
                method="[card or account ending ____]",
                date="[today's date]",
                loan_number="[loan number]",
            ),
        )

    def remittance_view(self, request):
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
                result = remittance_import(
                    text=text,
                    channel=form.cleaned_data["channel"],
                    lender=form.cleaned_data["lender"],
                    actor=request.user,
                    file_name=upload.name[:100],
                )
                if result.ok:
                    messages.success(
                        request,
                        f"Imported: {result.posted} posted, {result.held} held in suspense, "
                        f"{result.skipped} already imported.",
                    )
                    return redirect(reverse("admin:payments_payment_changelist"))
                errors = [str(e) for e in result.errors]
                form.add_error("file", "Nothing was imported; fix these lines.")
        return self._page(
            request, title="Import a remittance file", form=form, extra={"line_errors": errors}
        )

    def return_check_view(self, request, pk):
        if not request.user.has_perm(RETURN_CHECK):
            raise staff_refused(RETURN_CHECK)
        payment = get_object_or_404(Payment.objects.select_related("loan"), pk=pk)
        was_paid_off = payment.loan.status == Loan.Status.PAID_OFF
        form = ReturnCheckForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                outcome = staff_action_submit(
                    kind=K.RETURN_CHECK,
                    loan_id=payment.loan_id,
                    payment_id=payment.pk,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                    on=lender_today(payment.loan),
                    params={"return_code": form.cleaned_data["return_code"]},
                    token=form.cleaned_data["submit_token"],
                )
            except StaffActionNotAllowed as exc:
                raise PermissionDenied(str(exc)) from exc
            except StaffActionError as exc:
                form.add_error(None, str(exc))
            else:
                if outcome.request is not None:
                    return requested_redirect(request, outcome)
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
            try:
                outcome = staff_action_submit(
                    kind=K.MOVE_PAYMENT,
                    loan_id=payment.loan_id,
                    payment_id=payment.pk,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                    on=lender_today(payment.loan),
                    params={"to_loan": form.cleaned_data["loan"].pk},
                    token=form.cleaned_data["submit_token"],
                )
            except StaffActionNotAllowed as exc:
                raise PermissionDenied(str(exc)) from exc
            except StaffActionError as exc:
                form.add_error(field_for_error(exc, form), str(exc))
            else:
                if outcome.request is not None:
                    return requested_redirect(request, outcome)
                messages.success(request, f"Moved to {form.cleaned_data['loan']}.")
                target = outcome.done.params.get("new_payment") or payment.pk
                return redirect(reverse("admin:payments_payment_change", args=[target]))
        return self._page(request, title=f"Move {payment} to the right loan", form=form)
