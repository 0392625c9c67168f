"""The statistics page (R-ACC-09): messages, parts, outcomes and cost per month or day, for any
period; the last 6 months are the default and always available (nothing purges them)."""
from datetime import timedelta

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import ALL_ROLES, require_role
from smsportal.boundary import FormDateField

from .selectors import STATISTICS_GROUPS, message_statistics, statistics_default_from

MAX_DAYS_BY_DAY = 93
MAX_DAYS = 3 * 366


class StatisticsForm(forms.Form):
    date_from = FormDateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = FormDateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    by = forms.ChoiceField(label=_("Per"), required=False, choices=[("month", _("Month")), ("day", _("Day"))])

    def clean(self):
        data = super().clean()
        if self.has_error("date_from") or self.has_error("date_to"):
            return data
        today = timezone.localdate()
        data["date_to"] = data.get("date_to") or today
        data["date_from"] = data.get("date_from") or statistics_default_from(data["date_to"])
        data["by"] = data.get("by") or "month"
        days = (data["date_to"] - data["date_from"]).days
        if days < 0:
            self.add_error("date_to", _("The end of the period is before its start."))
        elif days > MAX_DAYS:
            self.add_error("date_from", _("Choose at most 3 years at a time."))
        elif data["by"] == "day" and days >= MAX_DAYS_BY_DAY:
            self.add_error("by", _("Per day shows at most %(days)s days; choose per month for longer periods.")
                           % {"days": MAX_DAYS_BY_DAY})
        return data


def period_end(row_period, by):
    if by == "day":
        return row_period
    nxt = (row_period.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


@require_role(*ALL_ROLES)
def message_statistics_view(request):
    form = StatisticsForm(request.GET or None)
    if form.is_bound and form.is_valid():
        params = form.cleaned_data
    else:
        today = timezone.localdate()
        params = {"date_from": statistics_default_from(today), "date_to": today, "by": "month"}
        if not form.is_bound:
            form = StatisticsForm(initial=params)
    stats = message_statistics(client=request.client, **params) if not form.errors else None
    if stats:
        for row in stats["rows"]:
            row["start"] = max(row["period"], params["date_from"])
            row["end"] = min(period_end(row["period"], params["by"]), params["date_to"])
    return render(request, "portal/statistics.html", {
        "nav": "statistics", "form": form, "stats": stats, "groups": list(STATISTICS_GROUPS),
    }, status=400 if form.errors else 200)
