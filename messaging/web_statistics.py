"""The statistics page (R-ACC-09): messages sent, delivered and undelivered, parts and cost per
month or day, for any period, charted (Chart.js from our static files) and tabled, optionally
broken down by sender name, operator or campaign, and exported as CSV. The last 6 months are the
default and always available (nothing purges them). Every figure is aggregated in the database."""
import io
from datetime import date, timedelta

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy as _, pgettext_lazy

from accounts.permissions import ALL_ROLES, require_role
from smsportal.boundary import FormDateField
from smsportal.csvsafe import csv_writer

from .selectors import STATISTICS_GROUPS, message_statistics, statistics_default_from

MAX_DAYS_BY_DAY = 366  # per day: up to a year, so the default six months can be drawn day by day
MAX_DAYS = 3 * 366
CHART_TOP = 12  # a breakdown chart shows the largest values; the table and the CSV have them all
OPERATOR_LABELS = {"kyivstar": "Kyivstar", "vodafone": "Vodafone", "lifecell": "lifecell"}


class StatisticsForm(forms.Form):
    date_from = FormDateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = FormDateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    by = forms.ChoiceField(label=_("Per"), required=False, choices=[("month", _("Month")), ("day", _("Day"))])
    dimension = forms.ChoiceField(
        label=_("Break down by"), required=False,
        choices=[("", pgettext_lazy("statistics breakdown", "Nothing")), ("sender", _("Sender name")),
                 ("operator", _("Operator")), ("campaign", _("Campaign"))])

    def clean(self):
        data = super().clean()
        if self.has_error("date_from") or self.has_error("date_to"):
            return data
        today = timezone.localdate()
        data["date_to"] = data.get("date_to") or today
        data["date_from"] = data.get("date_from") or statistics_default_from(data["date_to"])
        data["by"] = data.get("by") or "month"
        data["dimension"] = data.get("dimension") or ""
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


def _periods(date_from: date, date_to: date, by: str) -> list[date]:
    """Every day or month of the period, oldest first: the chart shows the empty ones too."""
    out, current = [], date_from if by == "day" else date_from.replace(day=1)
    while current <= date_to:
        out.append(current)
        current = current + timedelta(days=1) if by == "day" else period_end(current, "month") + timedelta(days=1)
    return out


def _period_label(period: date, by: str) -> str:
    return date_format(period, "d.m.Y" if by == "day" else "YEAR_MONTH_FORMAT")


def _breakdown_label(row: dict, dimension: str) -> str:
    if dimension == "campaign":
        campaign = row.get("campaign")
        if campaign is None:
            return gettext("Single messages (no campaign)")
        return campaign["name"] or gettext("Campaign %(id)s") % {"id": row["key"][:8]}
    if dimension == "operator":
        return OPERATOR_LABELS.get(row["key"], row["key"]) or gettext("Unknown operator")
    return row["key"] or "—"


def _chart_data(stats: dict) -> dict:
    by = stats["by"]
    per_period = {r["period"]: r for r in stats["rows"]}
    periods = _periods(stats["date_from"], stats["date_to"], by)
    series = {key: [per_period.get(p, {}).get(key, 0) for p in periods] for key in ("sent", "delivered", "undelivered")}
    data = {
        "labels": [_period_label(p, by) for p in periods],
        "series": [{"key": key, "label": str(label), "data": series[key]}
                   for key, label in (("sent", _("Sent")), ("delivered", _("Delivered")),
                                      ("undelivered", _("Undelivered")))],
        "breakdown": None,
    }
    if stats["dimension"]:
        top = stats["breakdown"][:CHART_TOP]
        data["breakdown"] = {
            "labels": [r["label"] for r in top],
            "series": [{"key": key, "label": str(label), "data": [r[key] for r in top]}
                       for key, label in (("delivered", _("Delivered")), ("undelivered", _("Undelivered")),
                                          ("in_progress", _("In progress")), ("not_sent", _("Not sent")))],
        }
    return data


def _csv_response(stats: dict) -> HttpResponse:
    """The table as CSV (UTF-8 with a BOM, so Excel reads it; formula-looking cells defused)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv_writer(out)
    figures = [gettext("Messages"), gettext("Sent"), gettext("SMS parts"), gettext("Delivered"),
               gettext("Undelivered"), gettext("In progress"), gettext("Not sent"), gettext("Cost, UAH")]

    def values(r):
        return [r["messages"], r["sent"], r["parts"], r["delivered"], r["undelivered"], r["in_progress"],
                r["not_sent"], f"{r['cost']:.2f}"]

    if stats["dimension"]:
        head = {"sender": gettext("Sender name"), "operator": gettext("Operator"),
                "campaign": gettext("Campaign")}[stats["dimension"]]
        writer.writerow([head, *figures])
        for r in stats["breakdown"]:
            writer.writerow([r["label"], *values(r)])
    else:
        writer.writerow([gettext("Day") if stats["by"] == "day" else gettext("Month"), *figures])
        for r in stats["rows"]:
            writer.writerow([r["period"].isoformat() if stats["by"] == "day" else r["period"].strftime("%Y-%m"),
                             *values(r)])
    writer.writerow([gettext("Total"), *values(stats["totals"])])
    name = f"statistics-{stats['date_from']:%Y%m%d}-{stats['date_to']:%Y%m%d}-{stats['dimension'] or stats['by']}.csv"
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_role(*ALL_ROLES)
def message_statistics_view(request):
    query = request.GET.copy()
    export = query.pop("export", [""])[0] == "csv"
    form = StatisticsForm(query or None)
    if form.is_bound and form.is_valid():
        params = form.cleaned_data
    else:
        today = timezone.localdate()
        params = {"date_from": statistics_default_from(today), "date_to": today, "by": "month", "dimension": ""}
        if not form.is_bound:
            form = StatisticsForm(initial=params)
    stats = message_statistics(client=request.client, **params) if not form.errors else None
    if stats:
        for row in stats["rows"]:
            row["start"] = max(row["period"], params["date_from"])
            row["end"] = min(period_end(row["period"], params["by"]), params["date_to"])
        for row in stats["breakdown"]:
            row["label"] = _breakdown_label(row, stats["dimension"])
        if export:
            return _csv_response(stats)
    export_query = query.copy()
    export_query["export"] = "csv"
    return render(request, "portal/statistics.html", {
        "nav": "statistics", "form": form, "stats": stats, "groups": list(STATISTICS_GROUPS),
        "chart": _chart_data(stats) if stats else None, "export_query": export_query.urlencode(),
    }, status=400 if form.errors else 200)
