"""Issue 11, items 10-16 and the proof: every borrower page at 390 x 844 with touch, signed in
and out, light and dark. axe-core (node_modules/, installed by bin/test with npm ci) finds no
serious or critical violation; every link and control is a 44 x 44 px target; invalid fields
have a red border; the focus ring is >= 3:1; the schedule shows every figure at 360 px; the
portal installs and an offline reload never shows a signed-in page.
Screenshots land in /tmp/shots-phone-first/ for a human to look at."""

import os
from pathlib import Path

import pytest
from django.urls import reverse
from factories import TEST_PASSWORD
from phone_helpers import scroll_width
from shared_helpers import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path("/tmp/shots-phone-first")
PHONE = {"width": 390, "height": 844}
PUBLIC = [
    "/",
    "/help/",
    "/privacy/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/payments/guest/",
    "/offline/",
    "/no-such-page/",
]

# Every visible link and control, and its target box. A checkbox or radio counts with its
# label (tapping either works). WCAG 2.5.8's inline exception: a link inside a sentence (its
# parent holds other text) is exempt; nothing else is.
TARGETS_JS = """
() => [...document.querySelectorAll('a[href], button, input, select, textarea, summary')]
  .filter(el => el.type !== 'hidden' && el.getClientRects().length
                && getComputedStyle(el).visibility !== 'hidden' && !el.closest('.skip-link'))
  .filter(el => !(el.tagName === 'A' && getComputedStyle(el).display === 'inline'
                  && el.parentElement.textContent.trim() !== el.textContent.trim()))
  .map(el => {
    let r = el.getBoundingClientRect();
    if (el.type === 'checkbox' || el.type === 'radio') {
      const box = el.closest('.choice, .field--check, label')
        || (el.id && document.querySelector(`label[for="${el.id}"]`));
      if (box) r = box.getBoundingClientRect();
    }
    return [el.outerHTML.slice(0, 90), Math.round(r.width), Math.round(r.height)];
  })
  .filter(([, w, h]) => w < 44 || h < 44)
"""
AXE_RUN_JS = """
async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => [v.id, v.nodes.slice(0, 3).map(n => n.target.join(' '))]);
}
"""
CONTRAST_JS = """
([color, against]) => {
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const [a, b] = [lum(color), lum(against)].sort((x, y) => y - x);
  return Math.round((a + 0.05) / (b + 0.05) * 100) / 100;
}
"""


def _axe_source() -> str:
    if not AXE.exists():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("node_modules/axe-core is missing: bin/test installs it with npm ci")
        pytest.skip("axe-core is not installed (bin/test runs npm ci)")
    return AXE.read_text()


def _sign_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/loans/")


@pytest.fixture
def borrower_pages(borrower, linked_loan, add_card):
    """The signed-in pages of a borrower with a loan, a card and one payment."""
    from decimal import Decimal

    from payments.services import new_idempotency_key, payment_submit

    card = add_card("4242424242424242")
    payment = payment_submit(
        loan_id=linked_loan.pk,
        method=card,
        amount=Decimal("100.00"),
        idempotency_key=new_idempotency_key(),
        payer=borrower,
        payer_email=borrower.email,
        confirm_duplicate=True,
    )
    loan = linked_loan.pk
    return [
        "/loans/",
        "/loans/link/",
        f"/loans/{loan}/",
        f"/loans/{loan}/what-if/?extra_monthly=75",
        f"/loans/{loan}/sharing/",
        "/loans/calendar/",
        reverse("payments:pay", args=[loan]),
        reverse("payments:detail", args=[payment.reference]),
        reverse("payments:history"),
        reverse("payments:methods"),
        reverse("payments:add_card"),
        reverse("payments:add_bank"),
        reverse("payments:autopay_setup", args=[loan]),
        "/account/profile/",
        "/account/security/",
        "/account/activity/",
        "/accounts/password/change/",
        "/accounts/email/",
        "/help/",
    ]


def _walk(page, base, paths, tag):
    """Each page in light and dark: axe and tap targets. Returns the failures by page."""
    axe = _axe_source()
    failures = {}
    SHOTS.mkdir(exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for path in paths:
            page.goto(base + path)
            name = f"{tag}-{scheme}-{path.strip('/').replace('/', '_').replace('?', '_') or 'home'}"
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
            page.evaluate(axe)  # through the debugger protocol: the page's CSP still applies
            found = {"axe": page.evaluate(AXE_RUN_JS)}
            if scheme == "light":
                found["small targets"] = page.evaluate(TARGETS_JS)
                found["scroll width"] = scroll_width(page)
            found = {k: v for k, v in found.items() if v and not (k == "scroll width" and v <= 390)}
            if found:
                failures[f"{scheme} {path}"] = found
    return failures


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_signed_out_page_passes_axe_and_has_44px_targets_light_and_dark(
    browser_page, live_server
):
    assert _walk(browser_page, live_server.url, PUBLIC, "out") == {}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_signed_in_page_passes_axe_and_has_44px_targets_light_and_dark(
    browser_page, live_server, borrower, borrower_pages
):
    _sign_in(browser_page, live_server.url, borrower.email)
    assert _walk(browser_page, live_server.url, borrower_pages, "in") == {}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_invalid_field_has_a_2px_red_border(browser_page, live_server, borrower, linked_loan):
    page, base = browser_page, live_server.url
    _sign_in(page, base, borrower.email)
    page.goto(f"{base}/loans/link/")
    page.fill("input[name=billing_zip]", "123")
    page.click("main form button[type=submit]")
    border = page.evaluate(
        "() => { const s = getComputedStyle(document.querySelector('.field--invalid input'));"
        " return [s.borderTopColor, s.borderTopWidth]; }"
    )
    assert border == ["rgb(179, 38, 30)", "2px"]  # --c-danger


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_focus_ring_is_3_to_1_on_white_and_page_background_and_kept_on_the_date_field(
    browser_page, live_server, borrower, linked_loan
):
    page, base = browser_page, live_server.url
    _sign_in(page, base, borrower.email)
    page.goto(f"{base}/loans/{linked_loan.pk}/")
    page.focus("input[name=good_through]")
    page.keyboard.press("Tab")  # into the date field's parts and its calendar button
    page.keyboard.press("Shift+Tab")
    ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [document.activeElement.name, s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    )
    assert ring[:3] == ["good_through", "solid", "3px"]
    assert ring[3] == "rgb(180, 83, 9)"  # --c-focus, light mode
    on_white = page.evaluate(CONTRAST_JS, [ring[3], "rgb(255, 255, 255)"])
    on_page = page.evaluate(
        CONTRAST_JS, [ring[3], page.evaluate("getComputedStyle(document.body).backgroundColor")]
    )
    assert (on_white, on_page) == (5.02, 4.68)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_schedule_shows_every_figure_at_360px_marks_paid_rows_and_opens_at_next_unpaid(
    browser_page, live_server, borrower, linked_loan
):
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 360, "height": 740})
    _sign_in(page, base, borrower.email)
    page.goto(f"{base}/loans/{linked_loan.pk}/")
    SHOTS.mkdir(exist_ok=True)
    page.locator("#schedule-table").screenshot(path=str(SHOTS / "schedule-360.png"))
    # Every figure of every row lies inside the 360 px screen, none clipped.
    outside = page.evaluate(
        "() => [...document.querySelectorAll('.schedule dd, .schedule__payment, .schedule time')]"
        ".filter(el => { const r = el.getBoundingClientRect();"
        " return r.left < 0 || r.right > 360 || el.scrollWidth > el.clientWidth + 1; }).length"
    )
    assert outside == 0
    assert page.locator(".schedule__row").count() == 12
    # linked_loan: 10 payments made (Feb-Nov 2026), so #11 (Dec 5, 2026) is next, on page 1.
    paid = page.locator(".schedule__row.is-paid")
    assert paid.count() == 10
    assert paid.first.locator(".badge").inner_text() == "Paid"
    assert page.locator("#next-payment time").inner_text() == "Dec 5, 2026"
    assert page.locator(".pager .muted").inner_text() == "Page 1 of 5"
    assert scroll_width(page) <= 360


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_portal_installs_and_an_offline_reload_shows_the_offline_page_not_account_data(
    browser_page, live_server, borrower, linked_loan
):
    page, base = browser_page, live_server.url
    _sign_in(page, base, borrower.email)
    page.goto(f"{base}/loans/")
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)") == f"{base}/"
    cdp = page.context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are incognito, which alone blocks installing: nothing else may.
    assert [e["errorId"] for e in errors] == ["in-incognito"]
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == []
    import json

    fields = json.loads(manifest["data"])
    assert (fields["display"], fields["start_url"]) == ("standalone", "/loans/")
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in fields["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    # Only static files and the offline page are in the cache: no page, no account data.
    cached = page.evaluate(
        "async () => { const out = []; for (const k of await caches.keys()) {"
        " for (const r of await (await caches.open(k)).keys()) out.push(new URL(r.url).pathname); }"
        " return out.sort(); }"
    )
    assert [p for p in cached if not p.startswith("/static/")] == ["/offline/"]
    page.reload()  # the worker now controls the page
    page.context.set_offline(True)
    try:
        page.reload()
        text = page.inner_text("body")
    finally:
        page.context.set_offline(False)
    assert "You're offline" in text
    assert linked_loan.loan_number not in text and borrower.email not in text
    assert "Menu for" not in page.content()
