"""GET /api/v1/announcements/: the notices staff published (R-SVC-01, R-SVC-02, R-BILL-13)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from smsportal.api_schema import ERRORS

from .announcements import announcements_current, announcements_published


class AnnouncementOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField()
    current = serializers.BooleanField()


class AnnouncementListOutput(serializers.Serializer):
    results = AnnouncementOutput(many=True)


class AnnouncementListApi(APIView):
    """GET /api/v1/announcements/ — published notices, the latest first (at most 100)."""

    @extend_schema(operation_id="announcements_list", responses={200: AnnouncementListOutput, **ERRORS},
                   description="`kind`: maintenance (with `starts_at` and `ends_at`), tariff or terms (`starts_at` is "
                               "when the change takes effect). Maintenance is announced at least 3 calendar days "
                               "ahead, tariff and terms changes 7. `current`: still shown on the website's banner.")
    def get(self, request):
        current = {a.pk for a in announcements_current()}
        rows = list(announcements_published().order_by("-published_at", "-id")[:100])
        for a in rows:
            a.current = a.pk in current
        return Response(AnnouncementListOutput({"results": rows}).data)
