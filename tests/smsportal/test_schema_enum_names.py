"""The API schema names each shared choice set once (settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]):
the lists there must stay the product's own choices, or the names silently stop applying."""
from django.conf import settings

from messaging.models import Channel
from messaging.status import Status
from messaging.viber.provider import ViberType
from smsportal.message_types import MessageType


def test_enum_name_overrides_are_the_products_choice_sets():
    overrides = settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]
    assert overrides["ChannelEnum"] == Channel.values
    assert overrides["MessageStatusEnum"] == Status.values
    assert overrides["MessageTypeEnum"] == MessageType.values
    # what a client chooses; `session` is only ever answered
    assert overrides["ViberTypeEnum"] == [t.value for t in ViberType if t != ViberType.SESSION]
