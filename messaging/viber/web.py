"""Website pages for Viber: transactional templates (R-VIB-05) and the chat inbox (R-VIB-06).
Thin: form → service → message → redirect; services' errors become form errors."""
from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.permissions import SEND_ROLES, require_role, user_can_send
from smsportal.errors import ApplicationError

from .sessions import (session_allowance, session_get, session_mark_read, session_reply, session_thread,
                       sessions_for_client, unread_total)
from .templates import template_delete, templates_for_client, template_submit
from .validation import SESSION_MAX_IN_A_ROW, SESSION_MAX_MESSAGES

THREADS_SHOWN = 200


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("For you: e.g. “Order ready”."))
    text = forms.CharField(label=_("Text"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}),
                           # xgettext:no-python-brace-format
                           help_text=_("Fixed words with {placeholders} for what changes, e.g. “Order {number} is ready "
                                       "for pickup until {date}.”"))


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Reply"), max_length=1000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Write a reply…")}))
    image_url = forms.CharField(label=_("Or an image (https:// link to a JPG or PNG)"), max_length=500,
                                required=False, widget=forms.URLInput(attrs={"placeholder": "https://"}))


@require_role(*SEND_ROLES, methods=("POST",))
def viber_templates(request):
    client = request.client
    if request.method == "POST":
        form = TemplateForm(request.POST)
        if form.is_valid():
            try:
                template = template_submit(client=client, name=form.cleaned_data["name"],
                                           text=form.cleaned_data["text"], actor=request.user)
            except ApplicationError as exc:
                form.add_error("text", exc.detail)
            else:
                messages.success(request, gettext("Template “%(name)s” submitted. We send it to Viber and email you "
                                                  "its decision.") % {"name": template.name})
                return redirect("viber_templates")
    else:
        form = TemplateForm()
    return render(request, "portal/viber_templates.html", {
        "nav": "viber", "tab": "templates", "form": form, "templates": list(templates_for_client(client=client)),
        "can_edit": user_can_send(request.user), "unread": unread_total(client=client),
    }, status=400 if form.is_bound else 200)


@require_POST
@require_role(*SEND_ROLES)
def viber_template_delete(request, public_id):
    try:
        template_delete(client=request.client, public_id=public_id, actor=request.user)
    except ApplicationError as exc:
        if exc.status == 404:
            raise Http404(exc.detail) from None
        messages.error(request, exc.detail)
    else:
        messages.success(request, gettext("Template deleted."))
    return redirect("viber_templates")


def _hours_minutes(seconds: int) -> str:
    hours, minutes = divmod(max(0, seconds) // 60, 60)
    return gettext("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}


@require_role(*SEND_ROLES, methods=("POST",))
def viber_inbox(request, public_id=None):
    client = request.client
    session = None
    if public_id is not None:
        session = session_get(client=client, public_id=public_id)
        if session is None:
            raise Http404("No such chat session.")
    form = ReplyForm()
    status = 200
    if session is not None and request.method == "POST":
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                session_reply(client=client, session_id=session.public_id, text=form.cleaned_data["text"],
                              image_url=form.cleaned_data["image_url"], actor=request.user)
            except ApplicationError as exc:
                form.add_error(None, exc.detail)
            else:
                messages.success(request, gettext("Reply queued."))
                return redirect("viber_thread", public_id=session.public_id)
        status = 400
    elif request.method == "POST":
        raise Http404("Choose a chat first.")
    if session is not None and session.unread and request.method == "GET":
        session_mark_read(session=session)
    threads = list(sessions_for_client(client=client)[:THREADS_SHOWN])
    for t in threads:
        t.allowance = session_allowance(t)
    context = {"nav": "viber", "tab": "inbox", "threads": threads, "session": session, "form": form,
               "can_reply": user_can_send(request.user), "unread": sum(t.unread for t in threads)}
    if session is not None:
        allowance = session_allowance(session)
        context.update({"thread": session_thread(session), "allowance": allowance,
                        "time_left": _hours_minutes(allowance.seconds_left),
                        "max_replies": SESSION_MAX_MESSAGES, "max_in_a_row": SESSION_MAX_IN_A_ROW})
    return render(request, "portal/viber_inbox.html", context, status=status)
