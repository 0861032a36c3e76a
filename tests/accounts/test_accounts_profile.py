"""Profile and preferences; account closure request."""

import pytest
from django.core import mail

from accounts.models import AuditEvent, Profile

PROFILE_URL = "/account/profile/"
VALID = {
    "full_name": "Ana Lima",
    "phone": "555-123-4567",
    "address_line1": "1 Main St",
    "address_line2": "",
    "city": "Springfield",
    "state": "il",
    "postal_code": "62701",
    "time_zone": "America/Chicago",
    "remind_by_email": "on",
    "remind_days_before": "5",
}


@pytest.mark.django_db
def test_profile_page_shows_current_values(borrower_client, borrower):
    html = borrower_client.get(PROFILE_URL).content.decode()
    assert borrower.full_name in html
    assert 'autocomplete="postal-code"' in html


@pytest.mark.django_db
def test_profile_saves_name_phone_address_time_zone_and_reminders(borrower_client, borrower):
    response = borrower_client.post(PROFILE_URL, VALID)
    assert response["Location"] == PROFILE_URL
    borrower.refresh_from_db()
    profile = Profile.objects.get(user=borrower)
    assert (borrower.full_name, borrower.phone) == ("Ana Lima", "555-123-4567")
    assert (profile.city, profile.state, profile.postal_code) == ("Springfield", "IL", "62701")
    assert profile.time_zone == "America/Chicago"
    assert (profile.remind_by_email, profile.remind_days_before) == (True, 5)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("postal_code", "1234"),
        ("state", "Illinois"),
        ("time_zone", "Europe/Paris"),
        ("remind_days_before", "30"),
    ],  # an empty phone is fine now: text reminders are gone (issue 14)
)
def test_profile_rejects_bad_values_and_saves_nothing(borrower_client, borrower, field, value):
    response = borrower_client.post(PROFILE_URL, {**VALID, field: value})
    assert response.status_code == 400
    assert not Profile.objects.filter(user=borrower).exists()


@pytest.mark.django_db
def test_closure_request_is_recorded_once_emailed_and_audited(borrower_client, borrower):
    page = borrower_client.get("/account/close/")
    assert b"does not close or pay off your loan" in page.content
    assert borrower_client.post("/account/close/", {"reason": "Paid off"}).status_code == 400
    response = borrower_client.post("/account/close/", {"reason": "Paid off", "confirm": "on"})
    assert response.status_code == 302
    profile = Profile.objects.get(user=borrower)
    assert profile.closure_requested_at is not None and profile.closure_reason == "Paid off"
    assert AuditEvent.objects.get(action="account.closure_requested").target_id == str(borrower.pk)
    assert mail.outbox[-1].to == [borrower.email]
    borrower_client.post("/account/close/", {"reason": "again", "confirm": "on"})
    assert Profile.objects.get(user=borrower).closure_reason == "Paid off"


@pytest.mark.django_db
def test_user_menu_links_to_the_account_pages(borrower_client):
    html = borrower_client.get("/loans/").content.decode()
    for url in ("/account/profile/", "/account/security/", "/account/activity/"):
        assert f'href="{url}"' in html


@pytest.mark.django_db
def test_profile_offers_no_text_reminders_until_texts_are_sent(borrower_client):
    html = borrower_client.get(PROFILE_URL).content.decode()
    assert "Text me" not in html
    assert "remind_by_sms" not in html
