"""Spot checks (R-CMP-08): staff read a random sample of each client's recent texts and, in one
click, stop a text (its messages not gone yet are cancelled), cancel its campaign or block the
account. Each action is its owner's service (messaging's, the campaign's, lifecycle's block),
and each is audited there. Staff only: viewing needs the client view permission, acting the
client change permission; actions are POST with the CSRF token."""
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from accounts.models import Client
from compliance.screening import highlight_html
from compliance.services import content_screen
from messaging.services import campaign_cancel
from messaging.services.review import (SPOT_CHECK_DAYS, SPOT_CHECK_PER_CLIENT, ReviewError, message_block,
                                       spot_check_message_get, spot_check_sample)
from smsportal.cache import Versions
from smsportal.errors import ApplicationError

from . import services

ACTIONS = ("block_message", "cancel_campaign", "block_account")


def _int(value, default, low, high):
    try:
        return min(max(int(value), low), high)
    except (TypeError, ValueError):
        return default


def spot_checks_view(request, *, model_admin):
    opts = Client._meta
    user = request.user
    if not (user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
            or user.has_perm(f"{opts.app_label}.change_{opts.model_name}")):
        raise PermissionDenied
    if request.method == "POST":
        if not user.has_perm(f"{opts.app_label}.change_{opts.model_name}"):
            raise PermissionDenied
        _act(request, model_admin)
        return redirect(request.get_full_path())
    days = _int(request.GET.get("days"), SPOT_CHECK_DAYS, 1, 90)
    per_client = _int(request.GET.get("n"), SPOT_CHECK_PER_CLIENT, 1, 50)
    client_id = _int(request.GET.get("client"), None, 1, 2**63 - 1) if request.GET.get("client") else None
    rows = []
    versions = Versions()  # the screening rules' counters, read once for the page
    for item in spot_check_sample(days=days, per_client=per_client, client_id=client_id):
        m = item.message
        verdict = content_screen(client=m.client, text=m.text, message_type=m.message_type, sender=m.sender,
                                 with_spans=True, approved=False, versions=versions)
        rows.append({"item": item, "verdict": verdict,
                     "highlighted": mark_safe(highlight_html(m.text, verdict.findings))})
    context = {**model_admin.admin_site.each_context(request), "title": gettext("Spot checks of recent texts"), "opts": opts,
               "rows": rows, "days": days, "per_client": per_client, "client_id": client_id,
               "can_act": user.has_perm(f"{opts.app_label}.change_{opts.model_name}"),
               "queue_url": reverse("admin:messaging_reviewqueue_changelist")}
    return TemplateResponse(request, "admin/lifecycle/spot_checks.html", context)


def _act(request, model_admin):
    post = request.POST
    action = post.get("action", "")
    message_id = post.get("message", "")
    reason = " ".join(post.get(f"reason_{message_id}", "").split()) or " ".join(post.get("reason", "").split())
    if action not in ACTIONS:
        model_admin.message_user(request, gettext("Choose an action."), flash.WARNING)
        return
    message = spot_check_message_get(message_id=message_id)
    if message is None:
        model_admin.message_user(request, gettext("No such message."), flash.WARNING)
        return
    client = message.client
    try:
        if action == "block_message":
            n = message_block(message_id=message.pk, actor=request.user, reason=reason)
            model_admin.message_user(
                request, gettext("%(client)s: text blocked, %(n)s message(s) not sent yet cancelled.") % {
                    "client": client, "n": n} if n else
                gettext("%(client)s: nothing of this text was waiting; it has all gone out.") % {"client": client},
                                     flash.SUCCESS if n else flash.WARNING)
        elif action == "cancel_campaign":
            if message.campaign is None:
                model_admin.message_user(request, gettext("This message is not part of a campaign."), flash.WARNING)
                return
            campaign_cancel(client=client, public_id=message.campaign.public_id, actor=request.user)
            model_admin.message_user(request, gettext("%(client)s: campaign %(campaign)s cancelled.") % {
                "client": client, "campaign": message.campaign}, flash.SUCCESS)
        else:
            if not reason:
                model_admin.message_user(request, gettext("Give the reason the client will see to block the account."),
                                         flash.ERROR)
                return
            services.client_block(client=client, reason=reason, actor=request.user)
            model_admin.message_user(request, gettext("%(client)s blocked; the client is notified by SMS and email.") % {"client": client},
                                     flash.SUCCESS)
    except (ReviewError, ApplicationError) as exc:
        model_admin.message_user(request, f"{client}: {exc.detail}", flash.ERROR)
