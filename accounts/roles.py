"""Staff roles as Django groups. Created by a data migration; `manage.py sync_staff_roles`
re-applies them (idempotent) after other apps add models whose view permission agents need."""

SUPPORT_AGENT = "Support agent"
SUPERVISOR = "Supervisor"

# Apps whose every model a support agent may view (read-only admin).
VIEWABLE_APPS = ("accounts", "loans", "payments", "documents")
# Support agents may approve or reject a payment held by the velocity/sanity rules, record
# money received (check, wire, cash network, phone, remittance file: issue 13), and *request*
# a waiver, refund, reversal or credit; a supervisor decides (four eyes, loans/staff_requests.py).
AGENT_EXTRA: tuple[str, ...] = (
    "payments.review_payment",
    "payments.record_payment",
    "loans.request_adjustment",
    "loans.record_contact",  # collections: contact notes and promises to pay
    "documents.update_title_release",  # date each lien/title step after payoff (issue 14)
    "accounts.answer_message",  # secure messages (issue 14); sync_staff_roles after migrating
)
SUPERVISOR_EXTRA = (
    "accounts.issue_refund",
    "accounts.reverse_payment",
    "accounts.waive_fee",
    "accounts.reset_second_factor",
    "accounts.change_profile",
    # Act alone at or below the lender's four-eyes threshold; approve others' requests above it;
    # change a loan's due day, maturity or rate through the services that validate them.
    "loans.post_credit",
    "loans.approve_request",
    "loans.change_loan_terms",
    "payments.manage_suspense",  # apply, move or refund unapplied funds (issue 13)
    "loans.manage_account_flags",  # hardship, SCRA, bankruptcy, deceased (loans/flags.py)
)
# The audit log is for supervisors; an agent cannot read who looked at what.
AGENT_HIDDEN = ("accounts.view_auditevent",)


def staff_roles_sync(apps) -> None:
    """Create or update both groups. `apps` is a migration's registry or django.apps.apps."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(codes):
        out = []
        for code in codes:
            app_label, codename = code.split(".")
            out += list(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        return out

    views = Permission.objects.filter(
        content_type__app_label__in=VIEWABLE_APPS, codename__startswith="view_"
    )
    agent_perms = [
        p for p in views if f"{p.content_type.app_label}.{p.codename}" not in AGENT_HIDDEN
    ]
    agent_perms += perms(AGENT_EXTRA)
    agent, _ = Group.objects.get_or_create(name=SUPPORT_AGENT)
    agent.permissions.set(agent_perms)
    supervisor, _ = Group.objects.get_or_create(name=SUPERVISOR)
    supervisor.permissions.set([*views, *perms(AGENT_EXTRA), *perms(SUPERVISOR_EXTRA)])
