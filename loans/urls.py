from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("link/", views.link_loan, name="loan_link"),
    path("calendar/", views.calendar_settings, name="loan_calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="loan_calendar_feed"),
    path("invitations/<str:token>/", views.invitation_accept, name="loan_invitation_accept"),
    path("<int:loan_id>/", views.loan_detail, name="loan_detail"),
    path("<int:loan_id>/payoff-letter.pdf", views.payoff_letter, name="loan_payoff_letter"),
    path("<int:loan_id>/what-if/", views.what_if, name="loan_what_if"),
    path("<int:loan_id>/sharing/", views.sharing, name="loan_sharing"),
    path(
        "<int:loan_id>/sharing/<int:invitation_id>/revoke/",
        views.sharing_revoke,
        name="loan_sharing_revoke",
    ),
]
