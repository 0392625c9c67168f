"""Website pages of the senders app: the list with a request form, and one name's page with the
description for national registration. Thin: form → service → message → redirect."""
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _


from accounts.permissions import SEND_ROLES, require_role, user_can_send
from smsportal.errors import ApplicationError
from smsportal.money import money_text

from .forms import SenderCreateForm, SenderDescriptionForm
from .models import Channel, Operator
from .selectors import sender_class, sender_get, sender_names_for_client
from .services import (national_block_reasons, proof_max_bytes, sender_description_update, sender_name_request,
                       viber_sender_fee, viber_shared_sender)


@require_role(*SEND_ROLES, methods=("POST",))
def sender_list(request):
    client = request.client
    if request.method == "POST":
        form = SenderCreateForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                sender = sender_name_request(client=client, name=data["name"], channel=data["channel"],
                                             proof=data.get("proof"), actor=request.user)
            except ApplicationError as exc:
                field = "proof" if getattr(exc, "reason", "") in ("brand_proof_required", "proof_invalid") else "name"
                form.add_error(field, exc.detail)
            else:
                note = (" " + _("The registration fee of %(fee)s UAH was charged; it is refunded if the name is refused.")
                        % {"fee": money_text(viber_sender_fee())}) if sender.channel == Channel.VIBER else ""
                messages.success(request, _("Sender name “%(name)s” sent for moderation. Staff usually decide within 2 "
                                            "business hours.") % {"name": sender.name} + note)
                return redirect("sender_detail", public_id=sender.public_id)
    else:
        form = SenderCreateForm()
    senders = list(sender_names_for_client(client=client).prefetch_related("registrations"))
    return render(request, "portal/senders.html", {
        "nav": "senders", "form": form, "senders": senders, "can_request": user_can_send(request.user),
        "viber_fee": viber_sender_fee(), "viber_shared": viber_shared_sender(),
        "proof_limit_mb": proof_max_bytes() // 1048576,
    }, status=400 if form.is_bound else 200)


@require_role(*SEND_ROLES, methods=("POST",))
def sender_detail(request, public_id):
    client = request.client
    sender = sender_get(client=client, public_id=public_id)
    if sender is None:
        raise Http404("No such sender name.")
    if request.method == "POST":
        form = SenderDescriptionForm(request.POST)
        if form.is_valid():
            try:
                sender = sender_description_update(client=client, public_id=sender.public_id, data=form.cleaned_data,
                                                   actor=request.user)
            except ApplicationError as exc:
                form.add_error("company_code" if getattr(exc, "reason", "") == "company_code" else None, exc.detail)
            else:
                messages.success(request, _("Description saved.") if sender.description_complete else
                                 _("Description saved. Fill every field to apply for a national name."))
                return redirect("sender_detail", public_id=sender.public_id)
    else:
        form = SenderDescriptionForm(initial={f: getattr(sender, f) for f in sender.DESCRIPTION_FIELDS})
    regs = {r.operator: r for r in sender.registrations.all()}
    operators = [{"label": label, "reg": regs.get(value)} for value, label in Operator.choices]
    return render(request, "portal/sender_detail.html", {
        "nav": "senders", "sender": sender, "form": form, "operators": operators,
        "sender_class": sender_class(client, sender.name) if sender.channel == Channel.SMS else None,
        "blocks": [r for r in national_block_reasons(sender) if "not approved" not in r and "description" not in r],
        "can_edit": user_can_send(request.user),
    }, status=400 if form.is_bound else 200)
