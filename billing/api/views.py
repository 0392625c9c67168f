from rest_framework.response import Response
from rest_framework.views import APIView

from messaging.api.serializers import money_json

from ..selectors import wallet_get


class BalanceApi(APIView):
    """GET /api/v1/balance/"""

    def get(self, request):
        wallet = wallet_get(client=request.user.client)
        return Response({"balance": money_json(wallet.balance)})
