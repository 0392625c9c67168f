"""Website pages of the accounts app: the portal guard, API keys, company details and contract,
the block notice with its explanation form, termination (the dashboard lives in messaging).

Views are thin: form → service → message → redirect. Reads go through selectors.
"""
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _, ngettext
from django.views.decorators.http import require_POST
from django.utils.translation import gettext

from smsportal.errors import ApplicationError

from .models import ApiKey, Client, User
from .permissions import require_role
from .services import (api_key_create, api_key_ips_set, api_key_regenerate, api_key_revoke, block_explanation_submit,
                       client_contract_request, client_legal_update, client_termination_cancel,
                       client_termination_request, contract_missing_fields)
from .web_forms import ApiKeyCreateForm, ApiKeyIpsForm, ExplanationForm, LegalDetailsForm, TerminationForm

NEW_KEY_SESSION = "portal_new_api_key"


def form_error_from(form, exc: ApplicationError, field: str | None = None) -> None:
    """A service's refusal becomes a form error (on `field`, or the whole form)."""
    if field is not None and field not in form.fields:
        field = None
    form.add_error(field, exc.detail)


def _roles(*roles, methods=None):
    return require_role(*roles, methods=methods)


# ---- API keys (R-ACC-04) --------------------------------------------------------------------

@_roles("owner", "member")
def api_key_list(request):
    client = request.client
    if request.method == "POST":
        form = ApiKeyCreateForm(request.POST)
        if form.is_valid():
            try:
                key, raw = api_key_create(client=client, name=form.cleaned_data["name"], created_by=request.user,
                                          allowed_ips=form.cleaned_data.get("allowed_ips", ""))
            except ApplicationError as exc:
                form_error_from(form, exc, "allowed_ips" if exc.code == "invalid_ip" else "name")
            else:
                # The raw key crosses one redirect in the session, is shown once, then forgotten.
                request.session[NEW_KEY_SESSION] = {"name": key.name, "prefix": key.prefix, "raw": raw}
                messages.success(request, _("API key “%(name)s” created.") % {"name": key.name})
                return redirect("api_key_list")
    else:
        form = ApiKeyCreateForm()
    new_key = request.session.pop(NEW_KEY_SESSION, None)
    keys = ApiKey.objects.filter(client=client).order_by("revoked_at", "-created_at", "-id")
    return render(request, "portal/account_api_keys.html", {
        "nav": "api_keys",
        "form": form,
        "keys": keys,
        "new_key": new_key,
        "api_base": request.build_absolute_uri("/api/v1/"),
    }, status=400 if form.is_bound else 200)


def _key_or_404(client, prefix: str) -> ApiKey:
    key = ApiKey.objects.filter(client=client, prefix=prefix).only("pk", "name", "prefix").first()
    if key is None:
        raise Http404(gettext("No such API key."))
    return key


@require_POST
@_roles("owner", "member")
def api_key_revoke_view(request, prefix: str):
    client = request.client
    key = _key_or_404(client, prefix)
    try:
        api_key_revoke(client=client, key_id=key.pk, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("API key “%(name)s” (%(prefix)s…) revoked. Requests using it are refused from now on.") % {"name": key.name, "prefix": prefix})
    return redirect("api_key_list")


@require_POST
@_roles("owner", "member")
def api_key_regenerate_view(request, prefix: str):
    client = request.client
    key = _key_or_404(client, prefix)
    try:
        new, raw = api_key_regenerate(client=client, key_id=key.pk, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        request.session[NEW_KEY_SESSION] = {"name": new.name, "prefix": new.prefix, "raw": raw}
        messages.success(request, _("API key “%(name)s” replaced: the old key (%(prefix)s…) no longer works. "
                                    "Put the new one into your software.") % {"name": key.name, "prefix": prefix})
    return redirect("api_key_list")


@require_POST
@_roles("owner", "member")
def api_key_ips_view(request, prefix: str):
    client = request.client
    key = _key_or_404(client, prefix)
    form = ApiKeyIpsForm(request.POST)
    if form.is_valid():
        try:
            api_key_ips_set(client=client, key_id=key.pk, allowed_ips=form.cleaned_data["allowed_ips"],
                            actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("Allowed addresses of “%(name)s” saved.") % {"name": key.name})
    return redirect("api_key_list")


# ---- company details and contract (R-ACC-10) --------------------------------------------------

@_roles("owner", "member", "viewer")
def account_profile(request):
    from .phones import phone_display  # noqa: PLC0415

    client = request.client
    is_owner = request.user.role == "owner"
    if request.method == "POST":
        if not is_owner:
            return render(request, "portal/account_forbidden.html",
                          {"allowed": "owner", "role": request.user.get_role_display()}, status=403)
        form = LegalDetailsForm(request.POST, instance=Client.objects.get(pk=client.pk))
        if form.is_valid():
            try:
                client_legal_update(client=client, data=form.cleaned_data, actor=request.user)
            except ApplicationError as exc:
                form_error_from(form, exc, getattr(exc, "field", None))
            else:
                messages.success(request, _("Company details saved."))
                return redirect("account_profile")
    else:
        form = LegalDetailsForm(instance=client)
    client.refresh_from_db()
    owner = client.users.filter(role="owner").order_by("date_joined").first()
    return render(request, "portal/account_profile.html", {
        "nav": "account", "form": form, "is_owner": is_owner, "client": client,
        "missing": contract_missing_fields(client),
        "primary_phone": phone_display(owner.phone) if owner and owner.phone_verified else "",
        "termination_form": TerminationForm(),
    }, status=400 if form.is_bound else 200)


@require_POST
@_roles("owner")
def account_contract_request(request):
    try:
        client_contract_request(client=request.client, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Contract requested. We will prepare it and send it for signing "
                                    "(by EDI if you use it, otherwise to the postal address)."))
    return redirect("account_profile")


@require_POST
@_roles("owner")
def account_termination(request):
    client = request.client
    if request.POST.get("action") == "cancel":
        try:
            client_termination_cancel(client=client, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("Termination cancelled: the account stays open."))
        return redirect("account_profile")
    form = TerminationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the box to confirm the termination."))
        return redirect("account_profile")
    try:
        client = client_termination_request(client=client, actor=request.user, reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        from django.utils import timezone  # noqa: PLC0415

        messages.warning(request, _("Notice received: the account stops on %(when)s. You can cancel until then.")
                         % {"when": f"{timezone.localtime(client.terminates_at):%d.%m.%Y %H:%M}"})
    return redirect("account_profile")


# ---- the block and the client's explanation (R-ACC-06) ----------------------------------------

@_roles("owner", "member", "viewer", methods=None)
def account_block(request):
    from .selectors import client_open_block  # noqa: PLC0415

    client = request.client
    block = client_open_block(client)
    if request.method == "POST":
        if request.user.role != "owner":
            return render(request, "portal/account_forbidden.html",
                          {"allowed": "owner", "role": request.user.get_role_display()}, status=403)
        form = ExplanationForm(request.POST)
        if form.is_valid():
            try:
                block_explanation_submit(client=client, text=form.cleaned_data["text"], actor=request.user)
            except ApplicationError as exc:
                form_error_from(form, exc, "text")
            else:
                messages.success(request, _("Explanation sent. Staff will review it and answer by email."))
                return redirect("account_block")
    else:
        form = ExplanationForm()
    from django.utils import timezone  # noqa: PLC0415

    return render(request, "portal/account_block.html", {
        "nav": "account", "hold": block, "form": form, "client": client,
        "window_open": bool(block and block.explanation_due_at and not block.explanation
                            and timezone.now() <= block.explanation_due_at),
    }, status=400 if form.is_bound else 200)


# ---- team: roles owner / member / viewer, invitations by email --------------------------------

@_roles("owner", "member", "viewer")
def account_team(request):
    from .models import Invitation  # noqa: PLC0415
    from .selectors import team_for_client  # noqa: PLC0415
    from .services import invitation_create, invitation_revoke, team_member_remove, team_role_set  # noqa: PLC0415
    from .web_forms import InviteForm  # noqa: PLC0415

    client = request.client
    is_owner = request.user.role == "owner"
    form = InviteForm()
    if request.method == "POST":
        if not is_owner:
            return render(request, "portal/account_forbidden.html",
                          {"allowed": "owner", "role": request.user.get_role_display()}, status=403)
        action = request.POST.get("action", "invite")
        try:
            if action == "invite":
                form = InviteForm(request.POST)
                if form.is_valid():
                    invitation_create(client=client, email=form.cleaned_data["email"], role=form.cleaned_data["role"],
                                      actor=request.user, accept_url=lambda t: request.build_absolute_uri(
                                          f"/invite/{t}/"))
                    messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
                    return redirect("account_team")
            elif action == "role":
                member = team_role_set(client=client, user_id=int(request.POST.get("user", 0)),
                                       role=request.POST.get("role", ""), actor=request.user)
                messages.success(request, _("%(email)s is now %(role)s.") % {"email": member.email, "role": member.get_role_display().lower()}
                                          + _keys_note(member))
                return redirect("account_team")
            elif action == "remove":
                member = team_member_remove(client=client, user_id=int(request.POST.get("user", 0)), actor=request.user)
                messages.success(request, _("%(email)s can no longer log in.") % {"email": member.email} + _keys_note(member))
                return redirect("account_team")
            elif action == "revoke":
                invitation_revoke(client=client, invitation_id=int(request.POST.get("invitation", 0)),
                                  actor=request.user)
                messages.success(request, _("Invitation withdrawn."))
                return redirect("account_team")
        except (ApplicationError, ValueError) as exc:
            if action == "invite":
                form_error_from(form, exc, "email")
            else:
                messages.error(request, getattr(exc, "detail", _("Invalid request.")))
                return redirect("account_team")
    from django.utils import timezone  # noqa: PLC0415

    invitations = Invitation.objects.filter(client=client, accepted_at__isnull=True, revoked_at__isnull=True,
                                            expires_at__gt=timezone.now())
    return render(request, "portal/account_team.html", {
        "nav": "account", "team": team_for_client(client), "invitations": invitations, "form": form,
        "is_owner": is_owner, "roles": User.Role.choices,
    }, status=400 if form.is_bound and form.errors else 200)


def _keys_note(member) -> str:
    n = getattr(member, "keys_revoked", 0)
    return (" " + ngettext("%(n)s API key they created stopped working: create new ones on the API keys page.",
                           "%(n)s API keys they created stopped working: create new ones on the API keys page.",
                           n) % {"n": n}) if n else ""


def invitation_accept_view(request, token: str):
    from django.contrib.auth import login  # noqa: PLC0415

    from .services import invitation_accept, invitation_get  # noqa: PLC0415
    from .web_forms import InvitationAcceptForm  # noqa: PLC0415

    inv = invitation_get(token)
    if inv is None:
        return render(request, "account/account_invitation.html", {"invalid": True}, status=404)
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(token=token, password=form.cleaned_data["password1"],
                                     first_name=form.cleaned_data["first_name"],
                                     last_name=form.cleaned_data["last_name"])
        except ApplicationError as exc:
            form_error_from(form, exc, "password1" if exc.code == "weak_password" else None)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to %(company)s.") % {"company": inv.client.name})
            return redirect("dashboard")
    return render(request, "account/account_invitation.html", {"invitation": inv, "form": form},
                  status=400 if form.is_bound and form.errors else 200)


# ---- password reset through the primary phone (R-ACC-05) --------------------------------------

PHONE_RESET_SESSION = "phone_reset"


# Codes per phone and requests per address, counted for every phone so the answer never tells
# whether a phone has an account (the service's own per-phone limit is the database's backstop).
PHONE_RESET_RATES = {"reset_password_phone": "3/h/key,10/h/ip"}


def _phone_reset_rate_consume(request, phone: str) -> None:
    from allauth.core.internal import ratelimit as rl  # noqa: PLC0415

    from .services import PhoneCodeError  # noqa: PLC0415

    if not rl.consume(request, app="allauth.account", action="reset_password_phone", config=PHONE_RESET_RATES,
                      key=phone):
        raise PhoneCodeError(gettext("Too many codes were requested for this phone or from your network in the "
                                     "last hour. Try again later, or reset the password by email."), code="too_many_codes")


def password_reset_phone(request):
    from .phones import phone_masked  # noqa: PLC0415
    from .services import password_reset_code_send  # noqa: PLC0415
    from .web_forms import PhoneResetRequestForm  # noqa: PLC0415

    form = PhoneResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            _phone_reset_rate_consume(request, phone)
            token = password_reset_code_send(phone=phone)
        except ApplicationError as exc:
            form_error_from(form, exc, "phone")
        else:
            request.session[PHONE_RESET_SESSION] = {"token": token, "phone": phone_masked(phone)}
            return redirect("account_reset_password_phone_code")
    return render(request, "account/password_reset_phone.html", {"form": form},
                  status=400 if form.is_bound and form.errors else 200)


def password_reset_phone_code(request):
    from .adapter import login_failures_clear  # noqa: PLC0415
    from .services import password_reset_by_code  # noqa: PLC0415
    from .web_forms import PhoneResetCodeForm  # noqa: PLC0415

    state = request.session.get(PHONE_RESET_SESSION)
    if not state:
        return redirect("account_reset_password_phone")
    form = PhoneResetCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = password_reset_by_code(token=state["token"], code=form.cleaned_data["code"],
                                          password=form.cleaned_data["password1"])
        except ApplicationError as exc:
            form_error_from(form, exc, "password1" if exc.code == "weak_password" else "code")
            if exc.code == "code_expired":
                request.session.pop(PHONE_RESET_SESSION, None)
                form.expired = True
        else:
            request.session.pop(PHONE_RESET_SESSION, None)
            login_failures_clear(request, user.email)
            messages.success(request, _("Password changed. Log in with the new one."))
            return redirect("account_login")
    return render(request, "account/password_reset_phone_code.html", {"form": form, "masked": state["phone"]},
                  status=400 if form.is_bound and form.errors else 200)


# ---- Language (the switch in the header and on the profile page) ----------------------------

@require_POST
def language_set(request):
    """Django's `set_language` (the cookie, then back to `next`), and for a logged-in user the
    choice is kept on the login (User.language): it follows them to other browsers, and their
    emails and system SMS use it."""
    from django.conf import settings  # noqa: PLC0415
    from django.views.i18n import set_language  # noqa: PLC0415

    response = set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response


# ---- the primary phone changes only with a code sent to it (R-ACC-05) -----------------------------

PHONE_CHANGE_SESSION = "phone_change_confirmed_until"
PHONE_CHANGE_WINDOW = 10 * 60  # seconds the confirmation lasts


def primary_phone_confirmed(view):
    """Wraps allauth's phone change: a login with a verified phone first enters a code sent to it."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and user.phone and user.phone_verified:
            until = request.session.get(PHONE_CHANGE_SESSION, 0)
            if until < timezone.now().timestamp():
                return redirect("account_change_phone_confirm")
        return view(request, *args, **kwargs)

    return wrapper


@login_required
def phone_change_confirm(request):
    from .services.phone_codes import phone_change_code_check, phone_change_code_send  # noqa: PLC0415
    from .web_forms import PhoneChangeConfirmForm  # noqa: PLC0415

    user = request.user
    if not (user.phone and user.phone_verified):
        return redirect("account_change_phone")
    form = PhoneChangeConfirmForm(request.POST or None)
    masked, send_error = request.session.get("phone_change_masked", ""), None
    if request.method == "POST" and form.is_valid():
        try:
            phone_change_code_check(user=user, code=form.cleaned_data["code"])
        except ApplicationError as exc:
            form_error_from(form, exc, "code")
        else:
            request.session[PHONE_CHANGE_SESSION] = timezone.now().timestamp() + PHONE_CHANGE_WINDOW
            return redirect("account_change_phone")
    elif request.method == "GET" or request.POST.get("resend"):
        try:
            masked = phone_change_code_send(user=user)
            request.session["phone_change_masked"] = masked
        except ApplicationError as exc:
            send_error = exc.detail
    return render(request, "account/phone_change_confirm.html", {"form": form, "masked": masked,
                                                                 "send_error": send_error},
                  status=400 if form.is_bound and form.errors else 200)


def public_offer(request):
    """The public offer (terms of service) every client accepts at sign-up: a public page, the
    version in SMSPORTAL_OFFER_VERSION (recorded on the client when accepted)."""
    from django.conf import settings  # noqa: PLC0415

    return render(request, "account/offer.html", {"offer_version": settings.SMSPORTAL_OFFER_VERSION})
