from accounts.models import Client

from .models import OptOut


def opted_out_phones(*, client: Client) -> set[str]:
    """Phones that asked this client to stop (R-CMP-05): nothing more goes to them."""
    return set(OptOut.objects.filter(client=client).values_list("phone", flat=True))
