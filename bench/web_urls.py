"""The product's URLs plus `POST /bench/bare/`: the floor a single send is measured against.

The bare view goes through everything a send goes through up to the view (gunicorn, the full
middleware, DRF, the API-key authentication and its permission, JSON parsing and rendering)
and then does one INSERT of a small row in autocommit, where a send validates, prices, holds
and stores. It exists only in the bench's settings module (bench/web_settings.py)."""
from django.db import connection
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from smsportal.urls import urlpatterns as product_urlpatterns

BARE_TABLE = "bench_bare_insert"
BARE_TABLE_SQL = (f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} (id bigserial PRIMARY KEY, client_id bigint NOT NULL, "
                  f"body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())")


class BareApi(APIView):
    def post(self, request):
        text = request.data.get("text", "") if isinstance(request.data, dict) else ""
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {BARE_TABLE} (client_id, body) VALUES (%s, %s) RETURNING id",
                           [request.user.client.pk, str(text)[:200]])
            (pk,) = cursor.fetchone()
        return Response({"id": pk}, status=201)


urlpatterns = [path("bench/bare/", BareApi.as_view()), *product_urlpatterns]
