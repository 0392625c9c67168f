"""TurboSMS response codes and status strings, exactly as TurboSMS clients compare them.

Every answer of the facade is `{"response_code", "response_status", "response_result"}` with
HTTP 200; `Code` is one (number, string) pair. The portal's error codes (ApplicationError.code)
map to them in `FOR_ERROR`; a refused recipient's reason (Message.error_code) in `FOR_REFUSAL`.
"""
from __future__ import annotations

from typing import NamedTuple


class Code(NamedTuple):
    number: int
    status: str


OK = Code(0, "OK")
PONG = Code(1, "PONG")
REQUIRED_TOKEN = Code(103, "REQUIRED_TOKEN")
REQUIRED_CONTENT = Code(104, "REQUIRED_CONTENT")
REQUIRED_AUTH = Code(105, "REQUIRED_AUTH")
REQUIRED_ACTIVE_USER = Code(106, "REQUIRED_ACTIVE_USER")
REQUIRED_MESSAGE_SENDER = Code(200, "REQUIRED_MESSAGE_SENDER")
REQUIRED_MESSAGE_TEXT = Code(201, "REQUIRED_MESSAGE_TEXT")
REQUIRED_MESSAGE_RECIPIENT = Code(202, "REQUIRED_MESSAGE_RECIPIENT")
REQUIRED_BALANCE = Code(203, "REQUIRED_BALANCE")
REQUIRED_MESSAGE_BUTTON = Code(204, "REQUIRED_MESSAGE_BUTTON")
REQUIRED_MESSAGE_CAPTION = Code(205, "REQUIRED_MESSAGE_CAPTION")
REQUIRED_MESSAGE_ACTION = Code(206, "REQUIRED_MESSAGE_ACTION")
INVALID_REQUEST = Code(300, "INVALID_REQUEST")
INVALID_TOKEN = Code(301, "INVALID_TOKEN")
INVALID_MESSAGE_SENDER = Code(302, "INVALID_MESSAGE_SENDER")
INVALID_START_TIME = Code(303, "INVALID_START_TIME")
INVALID_MESSAGE_TEXT = Code(304, "INVALID_MESSAGE_TEXT")
INVALID_PHONE = Code(305, "INVALID_PHONE")
INVALID_TTL = Code(306, "INVALID_TTL")
INVALID_MESSAGE_ID = Code(307, "INVALID_MESSAGE_ID")
NOT_ALLOWED_MESSAGE_SENDER = Code(400, "NOT_ALLOWED_MESSAGE_SENDER")
NOT_ALLOWED_MESSAGE_SENDER_NOT_ACTIVE = Code(401, "NOT_ALLOWED_MESSAGE_SENDER_NOT_ACTIVE")
NOT_ALLOWED_MESSAGE_IMAGE = Code(402, "NOT_ALLOWED_MESSAGE_IMAGE")
NOT_ALLOWED_START_TIME = Code(403, "NOT_ALLOWED_START_TIME")
NOT_ALLOWED_NUMBER_STOPLIST = Code(404, "NOT_ALLOWED_NUMBER_STOPLIST")
NOT_ALLOWED_RECIPIENTS_LIMIT = Code(405, "NOT_ALLOWED_RECIPIENTS_LIMIT")
NOT_ALLOWED_RECIPIENT_COUNTRY = Code(406, "NOT_ALLOWED_RECIPIENT_COUNTRY")
NOT_ALLOWED_RECIPIENT_DUPLICATE = Code(407, "NOT_ALLOWED_RECIPIENT_DUPLICATE")
NOT_ALLOWED_BUTTON_TEXT_LENGTH = Code(408, "NOT_ALLOWED_BUTTON_TEXT_LENGTH")
NOT_ALLOWED_MESSAGE_TTL = Code(409, "NOT_ALLOWED_MESSAGE_TTL")
NOT_ALLOWED_MESSAGE_TRANSACTION_CONTENT = Code(410, "NOT_ALLOWED_MESSAGE_TRANSACTION_CONTENT")
NOT_ALLOWED_MESSAGE_DATA = Code(411, "NOT_ALLOWED_MESSAGE_DATA")
NOT_ALLOWED_MESSAGE_TEXT = Code(412, "NOT_ALLOWED_MESSAGE_TEXT")
NOT_ALLOWED_MESSAGE_TEXT_LENGTH = Code(413, "NOT_ALLOWED_MESSAGE_TEXT_LENGTH")
NOT_ALLOWED_MESSAGE_ID = Code(414, "NOT_ALLOWED_MESSAGE_ID")
NOT_ALLOWED_MESSAGE_TRANSACTION_SENDER = Code(415, "NOT_ALLOWED_MESSAGE_TRANSACTION_SENDER")
NOT_ALLOWED_MESSAGE_TRANSACTION_PATTERN = Code(416, "NOT_ALLOWED_MESSAGE_TRANSACTION_PATTERN")
NOT_ALLOWED_FILE_SIZE = Code(420, "NOT_ALLOWED_FILE_SIZE")
NOT_ALLOWED_TRAFFIC_TYPE = Code(421, "NOT_ALLOWED_TRAFFIC_TYPE")
NOT_ALLOWED_SESSION_OUTBOX_LIMIT = Code(422, "NOT_ALLOWED_SESSION_OUTBOX_LIMIT")
NOT_ALLOWED_PERMISSION = Code(424, "NOT_ALLOWED_PERMISSION")
NOT_ALLOWED_TEST_NUMBER = Code(425, "NOT_ALLOWED_TEST_NUMBER")
FAILED_PARSE_BODY = Code(502, "FAILED_PARSE_BODY")
FAILED_SMS_SEND = Code(503, "FAILED_SMS_SEND")
FAILED_VIBER_SEND = Code(504, "FAILED_VIBER_SEND")
FAILED_DUPLICATE_REQUEST = Code(507, "FAILED_DUPLICATE_REQUEST")
SUCCESS_MESSAGE_ACCEPTED = Code(800, "SUCCESS_MESSAGE_ACCEPTED")
SUCCESS_MESSAGE_SENT = Code(801, "SUCCESS_MESSAGE_SENT")
SUCCESS_MESSAGE_PARTIAL_ACCEPTED = Code(802, "SUCCESS_MESSAGE_PARTIAL_ACCEPTED")
SUCCESS_MESSAGE_PARTIAL_SENT = Code(803, "SUCCESS_MESSAGE_PARTIAL_SENT")
FATAL_ERROR = Code(999, "FATAL_ERROR")

# The portal's refusals of a whole request (ApplicationError.code, and DRF's for authentication).
FOR_ERROR: dict[str, Code] = {
    "not_authenticated": REQUIRED_TOKEN,
    "authentication_failed": INVALID_TOKEN,
    "ip_not_allowed": REQUIRED_AUTH,
    "account_blocked": REQUIRED_ACTIVE_USER,
    "insufficient_funds": REQUIRED_BALANCE,
    "overdraft_overdue": REQUIRED_BALANCE,
    "sender_name_invalid": INVALID_MESSAGE_SENDER,
    "sender_not_approved": NOT_ALLOWED_MESSAGE_SENDER,
    "invalid_text": INVALID_MESSAGE_TEXT,
    "text_too_long": NOT_ALLOWED_MESSAGE_TEXT_LENGTH,
    "content_refused": NOT_ALLOWED_MESSAGE_TEXT,
    "invalid_recipient": REQUIRED_MESSAGE_RECIPIENT,
    "too_many_recipients": NOT_ALLOWED_RECIPIENTS_LIMIT,
    "contract_required": NOT_ALLOWED_MESSAGE_DATA,
    "no_route": NOT_ALLOWED_RECIPIENT_COUNTRY,
    "no_price": NOT_ALLOWED_RECIPIENT_COUNTRY,
    "no_tariff": NOT_ALLOWED_RECIPIENT_COUNTRY,
    "parse_error": FAILED_PARSE_BODY,
    "invalid": INVALID_REQUEST,
    "method_not_allowed": INVALID_REQUEST,
    "unsupported_media_type": FAILED_PARSE_BODY,
}

# Why one recipient of an accepted send was refused (Message.error_code of a `refused` message).
FOR_REFUSAL: dict[str, Code] = {
    "opted_out": NOT_ALLOWED_NUMBER_STOPLIST,  # the client's or the global stop list (R-CMP-05)
    "no_consent": NOT_ALLOWED_PERMISSION,  # consent required and not given (R-CMP-06)
    "frequency_cap": NOT_ALLOWED_RECIPIENTS_LIMIT,  # 10 messages of the client to it that day (R-CMP-03)
}
REFUSED_OTHER = NOT_ALLOWED_MESSAGE_TEXT

# The portal's refusals of a whole Viber send (ApplicationError.code of messaging.viber.service;
# the message's rules are messaging.viber.provider.Refusal, whose TurboSMS numbers are
# provider.WIRE_CODES). Codes of ours (430+) that TurboSMS has not go to its closest code.
VIBER_FOR_ERROR: dict[str, Code] = {
    "viber_not_enabled": NOT_ALLOWED_PERMISSION,
    "contract_required": NOT_ALLOWED_MESSAGE_DATA,
    "shared_sender_test_only": NOT_ALLOWED_MESSAGE_SENDER,
    "shared_sender_own_phones_only": NOT_ALLOWED_TEST_NUMBER,
    "sender_not_approved": NOT_ALLOWED_MESSAGE_SENDER,
    "contact_phone_required": INVALID_MESSAGE_TEXT,
    "fallback_incomplete": REQUIRED_MESSAGE_TEXT,
    "content_refused": NOT_ALLOWED_MESSAGE_TEXT,
    # messaging.viber.provider.Refusal
    "image_type_invalid": NOT_ALLOWED_MESSAGE_IMAGE,                       # 402
    "button_caption_too_long": NOT_ALLOWED_BUTTON_TEXT_LENGTH,             # 408
    "transactional_rich_content": NOT_ALLOWED_MESSAGE_TRANSACTION_CONTENT,  # 410
    "text_too_long": NOT_ALLOWED_MESSAGE_TEXT_LENGTH,                      # 413
    "shared_sender_transactional": NOT_ALLOWED_MESSAGE_TRANSACTION_SENDER,  # 415
    "no_matching_template": NOT_ALLOWED_MESSAGE_TRANSACTION_PATTERN,       # 416
    "file_too_big": NOT_ALLOWED_FILE_SIZE,                                 # 420
    "session_limit": NOT_ALLOWED_SESSION_OUTBOX_LIMIT,                     # 422
    "message_empty": REQUIRED_MESSAGE_TEXT,                                # ours 430
    "content_combination_invalid": NOT_ALLOWED_MESSAGE_DATA,               # ours 431
    "button_incomplete": REQUIRED_MESSAGE_BUTTON,                          # ours 432 (205/206 by the adapter)
    "button_url_invalid": REQUIRED_MESSAGE_ACTION,                         # ours 433
    "image_url_invalid": NOT_ALLOWED_MESSAGE_IMAGE,                        # ours 434
    "ttl_out_of_range": NOT_ALLOWED_MESSAGE_TTL,                           # ours 435
    "viber_type_invalid": INVALID_REQUEST,                                 # ours 437
    "test_word_missing": INVALID_MESSAGE_TEXT,                             # ours 438
    "sender_invalid": INVALID_MESSAGE_SENDER,                              # ours 439
}

# Why one recipient of an accepted Viber send was refused, beyond FOR_REFUSAL's.
VIBER_FOR_REFUSAL: dict[str, Code] = {
    **FOR_REFUSAL,
    "welcome_required": NOT_ALLOWED_TRAFFIC_TYPE,  # no welcome sent to it yet (R-VIB-04)
    "viber_daily_limit": NOT_ALLOWED_RECIPIENTS_LIMIT,  # the account's daily Viber limit (R-VIB-09)
}  # a personalized text refused by content screening

# smsportal status → TurboSMS `status` string (Capitalised, as clients compare them).
STATUS_STRINGS: dict[str, str] = {
    "scheduled": "Queued",
    "pending_review": "Queued",
    "queued": "Queued",
    "submitting": "Accepted",
    "submitted": "Sent",
    "delivered": "Delivered",
    "undelivered": "Undelivered",
    "expired": "Expired",
    "rejected": "Rejected",
    "refused": "Rejected",
    "failed": "Failed",
    "cancelled": "Cancelled",
}
UNKNOWN_STATUS = "Unknown"
READ = "Read"  # a Viber message the recipient has seen

SUCCESS = frozenset({0, 800, 801, 802, 803})


def envelope(code: Code, result=None) -> dict:
    return {"response_code": code.number, "response_status": code.status, "response_result": result}
