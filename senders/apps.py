from django.apps import AppConfig


class SendersConfig(AppConfig):
    name = "senders"
    verbose_name = "Sender names"
