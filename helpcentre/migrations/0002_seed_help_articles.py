"""Seed the help centre with answers that state the portal's actual rules (issue 14).

Staff edit them afterwards in the admin; this runs once and only adds what is missing."""

from django.db import migrations

ARTICLES = [
    (
        "signing_in",
        "How do I link my car loan?",
        "You need your lender's name, your loan number (it is on your statement), the ZIP code of "
        "your billing address and the last 6 characters of your car's VIN. After a few wrong tries "
        "linking is paused for the day; we never say which detail was wrong.",
    ),
    (
        "signing_in",
        "I forgot my password. What do I do?",
        'Choose "Forgot password" on the sign-in page. The reset link works once and for one '
        "hour. Resetting your password does not skip your second factor.",
    ),
    (
        "signing_in",
        "Why was my sign-in refused after several tries?",
        "After 5 wrong passwords in 5 minutes we refuse further tries for a while, to stop "
        "password guessing. Wait a few minutes or reset your password.",
    ),
    (
        "signing_in",
        "Why am I asked for a security code?",
        "Every account has a second factor: a code from your authenticator app, a passkey or a "
        "recovery code. Each code works once.",
    ),
    (
        "payments",
        "When does my payment count?",
        "A payment made before 5:00 PM in your lender's time zone on a business day counts that "
        "day. A payment made later, or on a weekend or Federal Reserve holiday, counts on the next "
        "business day. Interest is charged daily, so paying earlier saves a little interest.",
    ),
    (
        "payments",
        "How long does a bank payment take?",
        "A bank (ACH) payment shows as pending when you send it and settles after 2 business "
        "days. It counts toward your loan from its effective date; if your bank returns it, it is "
        "undone.",
    ),
    (
        "payments",
        'Why is my payment "being checked"?',
        "Some payments are held for a quick review, for example a large payment with a payment "
        "method added minutes ago or many attempts in a short time. Our team approves or rejects "
        "it, and we email you either way. You are not charged twice.",
    ),
    (
        "payments",
        "How is my payment applied?",
        "First to unpaid fees, then to interest accrued up to the payment's date, then to "
        "principal. Anything above the amount due reduces your principal. You can also make an "
        "extra payment that goes to principal only.",
    ),
    (
        "payments",
        "Can I pay more than the payoff?",
        "No. A payment can be at most the payoff amount on its date; the payment page tells you "
        "the most it can take.",
    ),
    (
        "declines",
        "My card was declined. What now?",
        "The payment page shows the reason your card's bank gave, for example insufficient funds "
        "or an expired card. Nothing was charged. Use another card or a bank account, or contact "
        "your card's bank.",
    ),
    (
        "declines",
        "What happens if my bank returns a payment?",
        "The payment is undone on your loan to the cent and your lender's returned-payment fee "
        "(usually $25) is added once. If the bank says the account is closed or does not exist, "
        "that account can't be used again; if you did not authorize the debit, autopay pauses "
        "until you set it up again.",
    ),
    (
        "autopay",
        "When does autopay take my payment?",
        "On the date you chose: your due date, a day before it, or every two weeks. If that day "
        "is not a business day, we take it on the business day before, so it is never late. We "
        "email you before each debit and after it.",
    ),
    (
        "autopay",
        "Can I change or pause autopay?",
        "Yes, from the Autopay page. A change made after the cut-off before a debit applies from "
        "the next one; the page tells you the exact deadline.",
    ),
    (
        "autopay",
        "Does autopay stop when my loan is paid off?",
        "Yes. The last debit takes only what is owed, never more than the payoff, and then the "
        "plan ends.",
    ),
    (
        "fees",
        "When is a late fee charged?",
        "If an installment is still unpaid when the grace period after its due date ends "
        "(usually 10 days), one late fee is added, as your lender's policy sets it. It is never "
        "charged twice for the same installment.",
    ),
    (
        "fees",
        "Is there a fee to pay by card?",
        "Only if your lender charges one; the payment page shows it before you confirm. Paying "
        "from a bank account has no fee.",
    ),
    (
        "fees",
        "Where do I see why a fee was charged?",
        "Account activity lists every fee assessed or waived with its date and reason, with a "
        "running balance.",
    ),
    (
        "payoff",
        "How do I get a payoff quote?",
        "Open your loan and choose a pay-off date. The quote shows the amount good through that "
        "date and the daily interest (per diem) after it. You can download it as a payoff letter "
        "that says where to send a check or wire.",
    ),
    (
        "payoff",
        "When do I get my title?",
        "After the loan is paid in full, your lender releases the lien. Your loan page shows each "
        "step (requested, released, mailed or sent electronically) with its date, and we email you "
        "at each step. You can download a paid-in-full letter.",
    ),
    (
        "statements",
        "Where are my statements?",
        "Open your loan and choose Statements. Each monthly statement shows your payments and "
        "how they were applied, fees, interest, principal, your balance and the next payment. In "
        "January you also get a year-end interest statement.",
    ),
    (
        "statements",
        "What is paperless?",
        "With paperless on, your statements are delivered electronically and we email you when "
        "one is ready. You can turn it off at any time from the Paperless page.",
    ),
    (
        "hardship",
        "Can I change my due date?",
        "Yes, once every 12 months, from your loan page (Change due date), while your account is "
        "current and your next payment is more than 2 business days away. You can choose any day "
        "from the 1st to the 28th. You see the new dates and the interest effect before you "
        "confirm; autopay and reminders move with it.",
    ),
    (
        "hardship",
        "Can I skip or defer a payment?",
        "You can ask for a payment extension from your loan page. Your next payment moves to the "
        "end of the loan and the maturity date moves later. Interest keeps accruing, so your "
        "final payment is larger; the page shows it before you confirm. Your lender's limits "
        "decide whether it is approved at once or reviewed by our team.",
    ),
    (
        "hardship",
        "I can't make my payment. Who can help?",
        "Send us a secure message or call your lender (the number is below). Ask about an "
        "extension, a due-date change or a promise to pay before the payment is late.",
    ),
    (
        "security",
        "Is my card number safe?",
        "Your full card number and security code go straight to our payment processor; we keep "
        "only the brand and the last 4 digits. Bank account numbers are encrypted and only the "
        "last 4 are ever shown.",
    ),
    (
        "security",
        "Will you ever ask for my password or code?",
        "No. We never ask for your password, a security code or a recovery code by email, text "
        "or phone. Your Security activity page lists every sign-in and change to your account.",
    ),
    (
        "privacy",
        "Who can see my loan?",
        "You, a co-borrower who linked the loan, and anyone you invite to view or pay it. You can "
        "remove an invited person at any time from the loan's sharing page.",
    ),
    (
        "privacy",
        "What do you do with my information?",
        "We use it to service your loan and take your payments, and nothing else. See our privacy "
        "notice for the details.",
    ),
]


def seed(apps, schema_editor):
    HelpArticle = apps.get_model("helpcentre", "HelpArticle")
    for order, (topic, question, answer) in enumerate(ARTICLES, start=1):
        HelpArticle.objects.get_or_create(
            topic=topic,
            question=question,
            defaults={"answer": answer, "order": order, "published": True},
        )


def unseed(apps, schema_editor):
    HelpArticle = apps.get_model("helpcentre", "HelpArticle")
    HelpArticle.objects.filter(question__in=[q for _, q, _ in ARTICLES]).delete()


class Migration(migrations.Migration):
    dependencies = [("helpcentre", "0001_help_articles")]
    operations = [migrations.RunPython(seed, unseed)]
