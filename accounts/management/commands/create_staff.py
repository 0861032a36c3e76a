from django.core.management.base import BaseCommand, CommandError

from accounts.staff_accounts import (
    ROLES,
    StaffAccountError,
    set_password_email_send,
    set_password_link,
    staff_member_create,
)


class Command(BaseCommand):
    help = (
        "Create a support agent or supervisor: a staff account with no password yet; emails "
        "them a one-time link to set one (or prints it with --print-link)."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--role", required=True, choices=sorted(ROLES))
        parser.add_argument("--name", default="", help="Full name, shown to other staff.")
        parser.add_argument(
            "--print-link",
            action="store_true",
            help="Print the one-time set-password link instead of emailing it.",
        )

    def handle(self, *args, email, role, name, print_link, **options):
        try:
            user = staff_member_create(email=email, role=role, full_name=name)
        except StaffAccountError as exc:
            raise CommandError(str(exc)) from exc
        link = set_password_link(user)
        self.stdout.write(f"Created {ROLES[role].lower()} {user.email}.")
        if print_link:
            self.stdout.write(f"Give them this one-time link to set a password:\n  {link}")
        else:
            set_password_email_send(user, link)
            self.stdout.write(f"Emailed {user.email} a one-time link to set a password.")
        self.stdout.write(
            "Next: they set the password, sign in at /accounts/login/, set up an authenticator "
            "app when asked, and land on the staff pages (/admin/)."
        )
