"""Every staff money form in the admin submits through one function: the action (done at once
or a request for a second supervisor, loans/staff_requests.py), a role that may not do it
turned into a 403, and a refusal shown on the form — next to the field `error_field` names, or
at its top — with nothing written."""

from django.core.exceptions import PermissionDenied

from .staff_requests import Outcome, StaffActionError, StaffActionNotAllowed, staff_action_submit


def staff_form_submit(form, *, error_field=None, **submit) -> Outcome | None:
    """`staff_action_submit(**submit)`; None when it was refused (the error is on `form`).
    `error_field(exc, form)` names the field a refusal belongs next to (None: the top)."""
    try:
        return staff_action_submit(**submit)
    except StaffActionNotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except StaffActionError as exc:
        form.add_error(error_field(exc, form) if error_field else None, str(exc))
        return None
