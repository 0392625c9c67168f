"""A small helper for staff actions that need a form (a top-up amount, a rejection reason)."""
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from smsportal.errors import ApplicationError


def staff_form_view(request, *, admin_site, form_class, title, intro, target, back_url, submit_label, perform):
    """Shows `form_class`; on a valid POST calls `perform(cleaned_data)` (a service call) and
    returns to `back_url`; an ApplicationError becomes a form error."""
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result_message = perform(form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, result_message)
            return redirect(back_url)
    context = {**admin_site.each_context(request), "form": form, "title": title, "intro": intro,
               "target": target, "back_url": back_url, "submit_label": submit_label}
    return TemplateResponse(request, "admin/simple_form.html", context)
