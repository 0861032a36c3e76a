"""Payment methods, history, troubleshooter and guest payment pages."""

from django.urls import path

from ..views import activity, guest, history, methods, troubleshoot

urlpatterns: list = [
    path("methods/", methods.methods_list, name="methods"),
    path("methods/add/card/", methods.add_card, name="add_card"),
    path("methods/add/bank/", methods.add_bank, name="add_bank"),
    path("methods/<id:method_id>/verify/", methods.verify_bank, name="verify_bank"),
    path("methods/<id:method_id>/default/", methods.method_default, name="method_default"),
    path("methods/<id:method_id>/remove/", methods.method_remove, name="method_remove"),
    path("history/", history.history, name="history"),
    path("loan/<id:loan_id>/activity/", activity.activity, name="activity"),
    path("loan/<id:loan_id>/activity.csv", activity.activity_csv, name="activity_csv"),
    path("loan/<id:loan_id>/activity.pdf", activity.activity_pdf, name="activity_pdf"),
    path("history.csv", history.history_csv, name="history_csv"),
    path("p/<payment_ref:reference>/receipt.pdf", history.receipt_pdf, name="receipt_pdf"),
    path("p/<payment_ref:reference>/help/", troubleshoot.troubleshoot, name="troubleshoot"),
    path("guest/", guest.guest_pay, name="guest_pay"),
    path("guest/review/<idem_key:key>/", guest.guest_review, name="guest_review"),
    path("guest/receipt/<payment_ref:reference>/", guest.guest_receipt, name="guest_receipt"),
]
