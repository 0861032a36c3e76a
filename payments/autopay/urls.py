"""Autopay pages. Included by payments.urls (namespace "payments"): names start autopay_."""

from django.urls import path

from . import views as autopay

urlpatterns: list = [
    path("autopay/<id:loan_id>/setup/", autopay.setup, name="autopay_setup"),
    path("autopay/<id:loan_id>/review/", autopay.review, name="autopay_review"),
    path("autopay/plan/<id:plan_id>/", autopay.manage, name="autopay_manage"),
    path("autopay/plan/<id:plan_id>/change/", autopay.change, name="autopay_change"),
    path(
        "autopay/plan/<id:plan_id>/change/review/",
        autopay.change_review,
        name="autopay_change_review",
    ),
    path("autopay/plan/<id:plan_id>/pause/", autopay.pause, name="autopay_pause"),
    path("autopay/plan/<id:plan_id>/resume/", autopay.resume, name="autopay_resume"),
    path("autopay/plan/<id:plan_id>/skip/", autopay.skip_next, name="autopay_skip"),
    path("autopay/plan/<id:plan_id>/unskip/", autopay.unskip, name="autopay_unskip"),
    path("autopay/plan/<id:plan_id>/cancel/", autopay.cancel, name="autopay_cancel"),
]
