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
INVALID_REQUEST = Code(300, "INVALID_REQUEST")
INVALID_TOKEN = Code(301, "INVALID_TOKEN")
INVALID_MESSAGE_SENDER = Code(302, "INVALID_MESSAGE_SENDER")
INVALID_START_TIME = Code(303, "INVALID_START_TIME")
INVALID_MESSAGE_TEXT = Code(304, "INVALID_MESSAGE_TEXT")
INVALID_PHONE = Code(305, "INVALID_PHONE")
INVALID_MESSAGE_ID = Code(307, "INVALID_MESSAGE_ID")
NOT_ALLOWED_MESSAGE_SENDER = Code(400, "NOT_ALLOWED_MESSAGE_SENDER")
NOT_ALLOWED_START_TIME = Code(403, "NOT_ALLOWED_START_TIME")
NOT_ALLOWED_NUMBER_STOPLIST = Code(404, "NOT_ALLOWED_NUMBER_STOPLIST")
NOT_ALLOWED_RECIPIENTS_LIMIT = Code(405, "NOT_ALLOWED_RECIPIENTS_LIMIT")
NOT_ALLOWED_RECIPIENT_COUNTRY = Code(406, "NOT_ALLOWED_RECIPIENT_COUNTRY")
NOT_ALLOWED_RECIPIENT_DUPLICATE = Code(407, "NOT_ALLOWED_RECIPIENT_DUPLICATE")
NOT_ALLOWED_MESSAGE_DATA = Code(411, "NOT_ALLOWED_MESSAGE_DATA")
NOT_ALLOWED_MESSAGE_TEXT = Code(412, "NOT_ALLOWED_MESSAGE_TEXT")
NOT_ALLOWED_MESSAGE_TEXT_LENGTH = Code(413, "NOT_ALLOWED_MESSAGE_TEXT_LENGTH")
NOT_ALLOWED_MESSAGE_ID = Code(414, "NOT_ALLOWED_MESSAGE_ID")
NOT_ALLOWED_PERMISSION = Code(424, "NOT_ALLOWED_PERMISSION")
FAILED_PARSE_BODY = Code(502, "FAILED_PARSE_BODY")
FAILED_SMS_SEND = Code(503, "FAILED_SMS_SEND")
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
REFUSED_OTHER = NOT_ALLOWED_MESSAGE_TEXT  # a personalized text refused by content screening

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

SUCCESS = frozenset({0, 800, 801, 802, 803})


def envelope(code: Code, result=None) -> dict:
    return {"response_code": code.number, "response_status": code.status, "response_result": result}
