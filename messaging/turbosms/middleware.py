"""Serves the TurboSMS facade at the root of its own host names (settings.TURBOSMS_HOSTS): a
request whose Host is one of them is resolved against the facade's urlconf instead of the site's,
so `https://<that host>/message/send.json` answers as `https://api.turbosms.ua/message/send.json`
does, and nothing else of the site is reachable there."""
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http.request import split_domain_port

URLCONF = "messaging.turbosms.urls"


class TurboSmsHostMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        hosts = settings.TURBOSMS_HOSTS
        if hosts:
            try:
                domain, _port = split_domain_port(request.get_host())
            except DisallowedHost:
                domain = ""  # the host check refuses it further on, as for any other path
            if domain and domain in hosts:
                request.urlconf = URLCONF
        return self.get_response(request)
