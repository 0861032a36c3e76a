"""The paperless (E-SIGN) disclosure, versioned. Consent is recorded against VERSION and the
text's SHA-256; change the text → bump VERSION, and people are asked again.

15 U.S.C. § 7001(c)(1): before consenting the consumer is told (A) of any right to paper and
(B) of the right to withdraw and how, and its consequences; (C) what the consent covers; (D) how
to get a paper copy and whether it costs anything; and the hardware and software needed; and the
consent is given in a way that shows they can open the documents (they confirm it).
"""

import hashlib

VERSION = "2026-01"

TEXT = """\
Consent to get your loan statements electronically

What this covers. If you agree, we will stop mailing paper monthly statements and year-end \
interest statements for every loan you own in this portal. Instead we email you when a \
statement is ready, and you read and download it here. Letters the law requires us to mail \
(for example, notices of default) may still come by mail.

Your right to paper. You do not have to agree. Without this consent your statements keep \
coming by mail, and they stay in this portal too.

Withdrawing. You can withdraw this consent at any time, at no charge, on the Paperless \
statements page (Documents > Paperless) or by calling us. Withdrawal takes effect at once: \
the next statement is mailed.

Paper copies. You can ask for a paper copy of any statement, free of charge, by calling us \
or sending a secure message.

What you need. A device with a current web browser (the last two versions of Chrome, \
Safari, Edge or Firefox), a PDF reader, an email address you check, and the ability to save \
or print a PDF. If your email address changes, update it in your profile. If we change these \
requirements in a way that could stop you reading your statements, we will tell you and ask \
for your consent again.

By checking the box you confirm that you can open the PDF statements in this portal on \
this device, and that you agree to get your statements electronically.
"""


def sha256() -> str:
    return hashlib.sha256(TEXT.encode()).hexdigest()
