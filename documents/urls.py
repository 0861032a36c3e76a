from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("paperless/", views.paperless, name="paperless"),
    path("loans/<id:loan_id>/statements/", views.statement_list, name="statements"),
    path("loans/<id:loan_id>/statements/<id:statement_id>/", views.statement, name="statement"),
    path(
        "loans/<id:loan_id>/statements/<id:statement_id>/statement.pdf",
        views.statement_pdf,
        name="statement_pdf",
    ),
    path("loans/<id:loan_id>/interest/", views.year_end_request, name="year_end_request"),
    path("loans/<id:loan_id>/interest/<id:year>.pdf", views.year_end_pdf, name="year_end_pdf"),
    path("loans/<id:loan_id>/paid-in-full.pdf", views.paid_in_full_pdf, name="paid_in_full_pdf"),
]
