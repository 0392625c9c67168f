"""Viber business messages: the provider seam.

- ``provider``: the provider-neutral vocabulary (outgoing message, accepted/refused, status and
  inbound events, refusal codes, errors) and ``status_apply``, the monotonic status rule.
- ``validation``: what our domain checks before anything is sent, with the provider's codes.
- ``http``: the HTTP adapter (a TurboSMS-like JSON wire format), ``provider_get()``.
- ``signing``: webhook signatures (HMAC-SHA256 over body, nonce and timestamp; replay-safe).
- ``webhooks``: a signed webhook body to status and inbound events.
- ``simulator``: the provider simulator (``manage.py viber_simulator``).

Nothing here touches the database: models and the sending flow call into it.
"""
