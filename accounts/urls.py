from django.urls import path  # noqa: F401 — the borrower's own pages register here

urlpatterns: list = []
