"""The notification centre (every notice sent to the user) and secure messages with support."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from ..inbox import (
    loans_for_messages,
    notice_open,
    notices_for_user,
    payments_for_messages,
    thread_get_for_user,
    thread_mark_read,
    thread_reply_by_user,
    thread_start,
    threads_for_user,
)
from ..models import SupportThread

PAGE_SIZE = 20


@never_cache
@login_required
def notices(request):
    page = Paginator(notices_for_user(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/notices.html", {"page": page})


@never_cache
@login_required
def notice_detail(request, notice_id: int):
    notice = notice_open(user=request.user, notice_id=notice_id)
    if notice is None:
        raise Http404
    return render(request, "accounts/notice_detail.html", {"notice": notice})


class MessageForm(forms.Form):
    topic = forms.ChoiceField(choices=[("", "Choose a topic"), *SupportThread.Topic.choices])
    loan = forms.ModelChoiceField(queryset=None, required=False, empty_label="No loan")
    payment = forms.ModelChoiceField(queryset=None, required=False, empty_label="No payment")
    body = forms.CharField(
        label="Message",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Never include your password, security code or a full card number.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loan"].queryset = loans_for_messages(user)
        self.fields["loan"].label_from_instance = lambda loan: f"Loan {loan.loan_number}"
        self.fields["payment"].queryset = payments_for_messages(user)
        self.fields["payment"].label_from_instance = lambda p: (
            f"${p.amount:,} on {p.created_at:%b %-d, %Y} ({p.reference})"
        )


class ReplyForm(forms.Form):
    body = forms.CharField(label="Reply", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


@never_cache
@login_required
def message_list(request):
    threads = threads_for_user(request.user)
    return render(request, "accounts/messages.html", {"threads": threads})


@never_cache
@login_required
def message_new(request):
    form = MessageForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        thread = thread_start(
            user=request.user,
            topic=data["topic"],
            body=data["body"],
            loan=data["loan"],
            payment=data["payment"],
        )
        messages.success(request, "Message sent. Support usually answers within 1 business day.")
        return redirect("accounts_message", thread.pk)
    return render(
        request, "accounts/message_new.html", {"form": form}, status=400 if form.errors else 200
    )


@never_cache
@login_required
def message_thread(request, thread_id: int):
    thread = thread_get_for_user(request.user, thread_id)
    if thread is None:
        raise Http404
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        thread_reply_by_user(thread=thread, user=request.user, body=form.cleaned_data["body"])
        messages.success(request, "Reply sent.")
        return redirect("accounts_message", thread.pk)
    thread_mark_read(thread=thread)
    context = {"thread": thread, "thread_messages": thread.messages.all(), "form": form}
    return render(request, "accounts/message_thread.html", context)
