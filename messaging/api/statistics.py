"""GET /api/v1/statistics/ — message statistics per month or day (R-ACC-09)."""
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from smsportal.api_schema import ERRORS
from smsportal.errors import ApplicationError

from ..selectors import STATISTICS_GROUPS, message_statistics
from ..web_statistics import StatisticsForm

_ROW = {"period": serializers.DateField(), "messages": serializers.IntegerField(), "sent": serializers.IntegerField(),
        "parts": serializers.IntegerField(), "cost": serializers.CharField(),
        **{g: serializers.IntegerField() for g in STATISTICS_GROUPS}}


class StatisticsApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("from", str, description="YYYY-MM-DD (Kyiv). Default: the first day of the "
                                                              "month six months ago."),
                    OpenApiParameter("to", str, description="YYYY-MM-DD (Kyiv), inclusive. Default: today."),
                    OpenApiParameter("by", str, enum=["month", "day"], description="Default month; day for at "
                                                                                  "most 366 days.")],
        responses={200: inline_serializer("StatisticsOutput", {
            "from": serializers.DateField(), "to": serializers.DateField(), "by": serializers.CharField(),
            "rows": inline_serializer("StatisticsRow", _ROW, many=True),
            "totals": inline_serializer("StatisticsTotals", {k: v for k, v in _ROW.items() if k != "period"})}),
            **ERRORS},
        description="Messages, sent (handed to the operators), SMS parts, outcomes (delivered; undelivered = undelivered, rejected or expired; "
                    "in_progress; not_sent = refused, failed or cancelled, never charged) and the cost of what was "
                    "sent, per period. At least the last 6 months are always available.")
    def get(self, request):
        q = request.query_params
        form = StatisticsForm({"date_from": q.get("from", ""), "date_to": q.get("to", ""), "by": q.get("by", "")})
        if not form.is_valid():
            first = next(iter(form.errors.values()))[0]
            raise ApplicationError(f"{first} Use from=YYYY-MM-DD&to=YYYY-MM-DD&by=month|day.", code="invalid_period")
        stats = message_statistics(client=request.user.client, **form.cleaned_data)

        def row(r):
            return {**r, "period": r["period"].isoformat(), "cost": f"{r['cost']:.2f}"} if "period" in r else \
                {**r, "cost": f"{r['cost']:.2f}"}

        return Response({"from": stats["date_from"].isoformat(), "to": stats["date_to"].isoformat(), "by": stats["by"],
                         "rows": [row(r) for r in stats["rows"]], "totals": row(stats["totals"])})
