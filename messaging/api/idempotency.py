"""`Idempotency-Key` on the API's creating POSTs (messaging.services.idempotency does the work).

A view opts in with `IdempotentPostMixin` and an `idempotency_endpoint` name; its `post` then
runs through the key: once per key, repeats answered from the stored answer. The parameters
compared are the JSON body and the URL's path arguments."""
import json

from django.http import Http404
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from smsportal.errors import ApplicationError

from ..services.idempotency import idempotency_key_check, idempotent_run, request_fingerprint

REPLAYED_HEADER = "Idempotent-Replayed"


class _Refused(Exception):
    """A handler answered a 4xx without raising: carried out of the key's transaction as a refusal."""

    def __init__(self, response):
        self.response = response
        super().__init__(response.status_code)


class _Failed(Exception):
    """A handler failed (5xx): not a refusal, so its transaction, the key's claim included, is
    rolled back and a retry with the same key runs the request again."""

    def __init__(self, answer):
        self.answer = answer  # the 5xx response, or the APIException to raise again
        super().__init__(getattr(answer, "status_code", 500))


def _rendered(data) -> str:
    """The body as the client receives it (DRF's encoding of dates, decimals, UUIDs)."""
    return JSONRenderer().render(data).decode()


class IdempotentPostMixin:
    """Put before the APIView class. `idempotency_endpoint`: the operation's name, part of the key's scope."""

    idempotency_endpoint = ""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authenticated and permitted from here on
        if request.method == "POST":
            # DRF looks the handler up right after `initial`: the view's own `post` (and its
            # OpenAPI description) stays as written, and runs through the key.
            handler = self.post

            def post(request, *args, **kwargs):
                return self.idempotent_post(request, handler, *args, **kwargs)

            self.post = post

    def idempotent_post(self, request, handler, *args, **kwargs):
        key = idempotency_key_check(request.headers.get("Idempotency-Key"))
        if key is None:
            return handler(request, *args, **kwargs)

        def run():
            try:
                response = handler(request, *args, **kwargs)
            except APIException as exc:
                if exc.status_code >= 500:  # a failure, not a refusal: undo everything, the key too
                    raise _Failed(exc) from exc
                raise
            if response.status_code >= 500:
                raise _Failed(response)
            if response.status_code >= 400:
                raise _Refused(response)
            return response.status_code, _rendered(response.data)

        try:
            answer = idempotent_run(
                client=request.user.client, endpoint=self.idempotency_endpoint, key=key,
                fingerprint=request_fingerprint({"path": kwargs, "body": request.data}), run=run,
                refusals=(ApplicationError, APIException, Http404, _Refused))
        except _Refused as refused:
            return refused.response
        except _Failed as failed:  # rolled back with the key: a retry runs again
            if isinstance(failed.answer, Exception):
                raise failed.answer from None
            return failed.answer
        # Parsed back in its key order: the first answer and every repeat are the same bytes.
        response = Response(json.loads(answer.body) if answer.body else None, status=answer.status)
        if answer.replayed:
            response[REPLAYED_HEADER] = "true"
        return response
