"""The stop list and the consent registry over the API (R-CMP-05, 06, 12): a client sees and
changes only its own; another client's entry or consent is a 404."""
import io
import math

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import IsClientUser, IsOwnerOrMember
from smsportal.api import JSONParser
from smsportal.api_schema import ERRORS, ErrorOutput
from smsportal.boundary import DateTimeField
from smsportal.csvsafe import csv_writer
from smsportal.errors import NotFound
from smsportal.phones import normalize_phone

from .selectors import compliance_settings_get, consent_get, consent_proof, consents_for_client, stop_list_for_client
from .services import (compliance_settings_set, consent_record, consent_withdraw, consents_import, stop_list_add,
                       stop_list_import, stop_list_remove)


def api_actor(request):
    """Who an API call acts as in the audit: the login that created the key (None: a key made by
    staff or a command)."""
    key = getattr(request.user, "api_key", None)
    return key.created_by if key is not None else request.user


class _WritesByOwnersAndMembers:
    """Anyone of the client reads; owners and members (and their keys) change."""

    def get_permissions(self):
        return [IsClientUser()] if self.request.method in ("GET", "HEAD", "OPTIONS") else [IsOwnerOrMember()]


class ListPageInput(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="Search")
    page = serializers.IntegerField(required=False, min_value=1, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)


def _page(request, qs, to_json) -> dict:
    params = ListPageInput(data=request.query_params)
    params.is_valid(raise_exception=True)
    size, page = params.validated_data["page_size"], params.validated_data["page"]
    count = qs.count()
    pages = max(1, math.ceil(count / size))
    if page > pages:
        raise NotFound(gettext("No page %(page)s: there are %(pages)s.") % {"page": page, "pages": pages})

    def link(n):
        query = request.query_params.copy()
        query["page"] = n
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return {"count": count, "page": page, "page_size": size, "pages": pages,
            "next": link(page + 1) if page < pages else None, "previous": link(page - 1) if page > 1 else None,
            "results": [to_json(r) for r in qs[(page - 1) * size: page * size]]}


def _search(request) -> str:
    return str(request.query_params.get("q", ""))[:100]


class CsvImportOutput(serializers.Serializer):
    rows = serializers.IntegerField()
    added = serializers.IntegerField()
    existing = serializers.IntegerField()
    invalid = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())


class CsvFileInput(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8 or Windows-1251), up to 10 MB and 100,000 rows.")


# --- the stop list -----------------------------------------------------------------------------------

class StopEntryOutput(serializers.Serializer):
    phone = serializers.CharField()
    source = serializers.CharField(help_text="reply (STOP reply), client (entered by you), staff")
    note = serializers.CharField()
    opted_out_at = serializers.DateTimeField()
    consent_after = serializers.BooleanField(help_text="A valid SMS consent was recorded after the opt-out.")


class StopListPageOutput(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = StopEntryOutput(many=True)


class StopListAddInput(serializers.Serializer):
    phone = serializers.CharField(max_length=32)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


def stop_entry_json(e) -> dict:
    return {"phone": e.phone, "source": e.source, "note": e.note, "opted_out_at": e.created_at.isoformat(),
            "consent_after": bool(getattr(e, "resumed", False))}


class StopListApi(_WritesByOwnersAndMembers, APIView):
    """GET /api/v1/stop-list/ · POST /api/v1/stop-list/ (add one number)."""

    @extend_schema(operation_id="stop_list_list", parameters=[ListPageInput], responses={200: StopListPageOutput, **ERRORS},
                   description="Your stop list, newest first; `q` searches numbers and notes.")
    def get(self, request):
        qs = stop_list_for_client(client=request.user.client, search=_search(request))
        return Response(_page(request, qs, stop_entry_json))

    @extend_schema(operation_id="stop_list_add", request=StopListAddInput,
                   responses={201: StopEntryOutput, 200: StopEntryOutput, **ERRORS},
                   description="Adds a number (201), or answers the entry already there (200).")
    def post(self, request):
        data = StopListAddInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry, created = stop_list_add(client=request.user.client, actor=api_actor(request), **data.validated_data)
        return Response(stop_entry_json(entry), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class StopListEntryApi(_WritesByOwnersAndMembers, APIView):
    """DELETE /api/v1/stop-list/<phone>/"""

    @extend_schema(operation_id="stop_list_remove", responses={204: None, 409: ErrorOutput, **ERRORS},
                   description="Removes a number. A number that opted out itself (a STOP reply) can be removed only "
                               "after you record its consent given after the opt-out: else 409 consent_required.")
    def delete(self, request, phone):
        stop_list_remove(client=request.user.client, phone=phone, actor=api_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class StopListImportApi(_WritesByOwnersAndMembers, APIView):
    """POST /api/v1/stop-list/import/ (a CSV upload, field `file`: columns phone, note)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(operation_id="stop_list_import", request={"multipart/form-data": CsvFileInput},
                   responses={200: CsvImportOutput, **ERRORS})
    def post(self, request):
        data = CsvFileInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = stop_list_import(client=request.user.client, upload=data.validated_data["file"], actor=api_actor(request))
        return Response(report.as_dict())


class StopListExportApi(APIView):
    """GET /api/v1/stop-list/export.csv"""

    @extend_schema(operation_id="stop_list_export", responses={(200, "text/csv"): str, **ERRORS})
    def get(self, request):
        out = io.StringIO()
        writer = csv_writer(out)
        writer.writerow(["phone", "source", "note", "opted_out_at", "consent_after"])
        for e in stop_list_for_client(client=request.user.client).iterator(chunk_size=5000):
            writer.writerow([e.phone, e.source, e.note, timezone.localtime(e.created_at).isoformat(),
                             "yes" if e.resumed else ""])
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="stop-list.csv"'
        return response


# --- consents ---------------------------------------------------------------------------------------

class ConsentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    phone = serializers.CharField()
    name = serializers.CharField()
    channels = serializers.ListField(child=serializers.CharField())
    company = serializers.CharField()
    source = serializers.CharField()
    proof_text = serializers.CharField()
    proof_file = serializers.BooleanField()
    given_at = serializers.DateTimeField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)


class ConsentPageOutput(StopListPageOutput):
    results = ConsentOutput(many=True)


class ConsentInput(serializers.Serializer):
    phone = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    channels = serializers.ListField(child=serializers.ChoiceField(choices=["sms", "viber"]), min_length=1,
                                     required=False, default=["sms"])
    company = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                    help_text="The company it was given to; your company's name when empty.")
    source = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    proof_text = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")
    proof_file = serializers.FileField(required=False, help_text="multipart/form-data only")
    given_at = DateTimeField(required=False, help_text="Now when absent.")


def consent_json(c) -> dict:
    return {"id": c.pk, "phone": c.phone, "name": c.name, "channels": c.channels, "company": c.company,
            "source": c.source, "proof_text": c.proof_text, "proof_file": bool(c.proof_file),
            "given_at": c.given_at.isoformat(), "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None}


class ConsentListApi(_WritesByOwnersAndMembers, APIView):
    """GET /api/v1/consents/ · POST /api/v1/consents/ (record one)."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(operation_id="consents_list", parameters=[ListPageInput], responses={200: ConsentPageOutput, **ERRORS})
    def get(self, request):
        qs = consents_for_client(client=request.user.client, search=_search(request))
        return Response(_page(request, qs, consent_json))

    @extend_schema(operation_id="consents_create", request=ConsentInput, responses={201: ConsentOutput, **ERRORS})
    def post(self, request):
        data = ConsentInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        channels = set(v.pop("channels"))
        consent = consent_record(client=request.user.client, actor=api_actor(request), sms="sms" in channels,
                                 viber="viber" in channels, **v)
        return Response(consent_json(consent), status=status.HTTP_201_CREATED)


class ConsentWithdrawApi(_WritesByOwnersAndMembers, APIView):
    """POST /api/v1/consents/<id>/withdraw/"""

    @extend_schema(operation_id="consents_withdraw", request=None, responses={200: ConsentOutput, **ERRORS})
    def post(self, request, consent_id):
        if consent_get(client=request.user.client, consent_id=consent_id) is None:
            raise NotFound(gettext("No consent with this id."))
        consent = consent_withdraw(client=request.user.client, consent_id=consent_id, actor=api_actor(request))
        return Response(consent_json(consent))


class ConsentImportApi(_WritesByOwnersAndMembers, APIView):
    """POST /api/v1/consents/import/ (a CSV upload, field `file`)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(operation_id="consents_import", request={"multipart/form-data": CsvFileInput},
                   responses={200: CsvImportOutput, **ERRORS},
                   description="Columns: phone, name, channels (sms, viber or \"sms viber\"), company, source, proof, "
                               "given_at (YYYY-MM-DD, DD.MM.YYYY or ISO). A first row naming the columns sets their order.")
    def post(self, request):
        data = CsvFileInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = consents_import(client=request.user.client, upload=data.validated_data["file"], actor=api_actor(request))
        return Response(report.as_dict())


class ConsentProofApi(APIView):
    """GET /api/v1/consents/proof/?phone=… — every consent and opt-out of one number (R-CMP-06)."""

    @extend_schema(operation_id="consents_proof", responses={200: dict, **ERRORS},
                   parameters=[OpenApiParameter("phone", str, required=True)])
    def get(self, request):
        phone = normalize_phone(str(request.query_params.get("phone", ""))[:32])
        if not phone:
            raise serializers.ValidationError({"phone": [gettext("Enter a phone number, e.g. +380671234567.")]})
        return Response(consent_proof(client=request.user.client, phone=phone))


class ComplianceSettingsInput(serializers.Serializer):
    require_consent = serializers.BooleanField()


class ComplianceSettingsApi(_WritesByOwnersAndMembers, APIView):
    """GET / PUT /api/v1/consents/settings/ — `require_consent`: send only to recipients with a
    recorded consent for the channel (Viber advertising always needs one)."""

    @extend_schema(operation_id="consents_settings_get", responses={200: ComplianceSettingsInput, **ERRORS})
    def get(self, request):
        return Response({"require_consent": compliance_settings_get(client=request.user.client).require_consent})

    @extend_schema(operation_id="consents_settings_set", request=ComplianceSettingsInput,
                   responses={200: ComplianceSettingsInput, **ERRORS})
    def put(self, request):
        data = ComplianceSettingsInput(data=request.data)
        data.is_valid(raise_exception=True)
        row = compliance_settings_set(client=request.user.client, actor=api_actor(request), **data.validated_data)
        return Response({"require_consent": row.require_consent})
