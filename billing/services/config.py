"""The billing settings row (staff edit it in admin; created with defaults on first use)."""
from ..models import BillingConfig


def billing_config_get() -> BillingConfig:
    config = BillingConfig.objects.filter(pk=1).first()
    if config is None:
        config, _ = BillingConfig.objects.get_or_create(pk=1)
    return config
