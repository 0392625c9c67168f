"""A TurboSMS-compatible facade of the integrator API: the paths, auth styles, envelope, codes and
date formats of TurboSMS's HTTP API (`/message/send.json`, `/message/status.json`,
`/user/balance.json`, `/<module>/ping.json`), served at the root of its own host name
(settings.TURBOSMS_HOSTS, `middleware.TurboSmsHostMiddleware`) and, for trying it locally, under
`settings.TURBOSMS_PATH_PREFIX`. A thin adapter (`adapter`) over the same services as /api/v1/.
"""
