from django.urls import path

from . import views, views_requests

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("link/", views.link_loan, name="loan_link"),
    path("calendar/", views.calendar_settings, name="loan_calendar"),
    path("calendar/<secret_token:token>.ics", views.calendar_feed, name="loan_calendar_feed"),
    path(
        "invitations/<signed_token:token>/", views.invitation_accept, name="loan_invitation_accept"
    ),
    path("<id:loan_id>/", views.loan_detail, name="loan_detail"),
    path("<id:loan_id>/payoff-letter.pdf", views.payoff_letter, name="loan_payoff_letter"),
    path("<id:loan_id>/what-if/", views.what_if, name="loan_what_if"),
    path("<id:loan_id>/sharing/", views.sharing, name="loan_sharing"),
    path("<id:loan_id>/due-date/", views_requests.due_day_change, name="loan_due_day_change"),
    path("<id:loan_id>/extension/", views_requests.extension, name="loan_extension"),
    path(
        "<id:loan_id>/sharing/<id:invitation_id>/revoke/",
        views.sharing_revoke,
        name="loan_sharing_revoke",
    ),
]
