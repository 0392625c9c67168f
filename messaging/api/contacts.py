"""Contact groups over the API: a client's saved recipient lists (R-CMP-12: only its own), which a
campaign can name as its source (`POST /api/v1/campaigns/` with `group`)."""
from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from smsportal.api_schema import ERRORS, ErrorOutput, idempotency_key_parameter
from smsportal.errors import NotFound

from ..models import ContactGroup
from ..selectors import contact_groups_for_client
from ..services import contact_group_create, contact_group_delete, contacts_import
from .campaigns import RecipientsField
from .idempotency import IdempotentPostMixin

MAX_CONTACTS_PER_REQUEST = 100_000


class GroupOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    contacts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class GroupListOutput(serializers.Serializer):
    groups = GroupOutput(many=True)


class ImportOutput(serializers.Serializer):
    rows = serializers.IntegerField()
    added = serializers.IntegerField()
    updated = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    invalid = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())


class GroupCreatedOutput(GroupOutput):
    report = ImportOutput()


class GroupInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    contacts = RecipientsField(required=False)


class ContactsInput(serializers.Serializer):
    contacts = RecipientsField()


def _group_json(group, size: int) -> dict:
    return {"id": group.pk, "name": group.name, "contacts": size, "created_at": group.created_at.isoformat(),
            "updated_at": group.updated_at.isoformat()}


def _group_or_404(request, group_id) -> ContactGroup:
    group = (ContactGroup.objects.filter(client=request.user.client, pk=group_id).annotate(size=Count("contacts"))
             .first() if str(group_id).isdigit() else None)
    if group is None:
        raise NotFound("No contact group with this id.")
    return group


def _check_size(contacts) -> None:
    if contacts is not None and len(contacts) > MAX_CONTACTS_PER_REQUEST:
        raise serializers.ValidationError(
            {"contacts": [f"At most {MAX_CONTACTS_PER_REQUEST:,} contacts in one request."]})


class ContactGroupListCreateApi(IdempotentPostMixin, APIView):
    """GET /api/v1/contact-groups/ · POST /api/v1/contact-groups/ (a name, optionally its contacts)."""

    idempotency_endpoint = "contact-groups.create"

    @extend_schema(operation_id="contact_groups_list", responses={200: GroupListOutput, **ERRORS})
    def get(self, request):
        groups = contact_groups_for_client(client=request.user.client)
        return Response({"groups": [_group_json(g, g.size) for g in groups]})

    @extend_schema(request=GroupInput, responses={201: GroupCreatedOutput, 422: ErrorOutput, **ERRORS},
                   parameters=[idempotency_key_parameter("the group")],
                   description="Creates a group; `contacts` (phones, or objects with `phone`, `name` and other "
                               "variables) are normalized to E.164, bad rows reported, repeats dropped.")
    def post(self, request):
        data = GroupInput(data=request.data)
        data.is_valid(raise_exception=True)
        contacts = data.validated_data.get("contacts")
        _check_size(contacts)
        client = request.user.client
        group = contact_group_create(client=client, name=data.validated_data["name"])
        report = contacts_import(client=client, group_id=group.pk, rows=contacts or [])
        group.refresh_from_db()
        return Response({**_group_json(group, report.added), "report": report.as_dict()},
                        status=status.HTTP_201_CREATED)


class ContactGroupDetailApi(APIView):
    """GET / DELETE /api/v1/contact-groups/<id>/"""

    @extend_schema(responses={200: GroupOutput, **ERRORS})
    def get(self, request, group_id):
        group = _group_or_404(request, group_id)
        return Response(_group_json(group, group.size))

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request, group_id):
        group = _group_or_404(request, group_id)
        contact_group_delete(client=request.user.client, group_id=group.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ContactGroupImportApi(IdempotentPostMixin, APIView):
    """POST /api/v1/contact-groups/<id>/contacts/ — adds contacts (a phone already there is updated)."""

    idempotency_endpoint = "contact-groups.import"

    @extend_schema(request=ContactsInput, responses={200: ImportOutput, 422: ErrorOutput, **ERRORS},
                   parameters=[idempotency_key_parameter("the import (its report)")])
    def post(self, request, group_id):
        group = _group_or_404(request, group_id)
        data = ContactsInput(data=request.data)
        data.is_valid(raise_exception=True)
        _check_size(data.validated_data["contacts"])
        report = contacts_import(client=request.user.client, group_id=group.pk, rows=data.validated_data["contacts"])
        return Response(report.as_dict())
