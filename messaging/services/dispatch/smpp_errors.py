"""What the connector does with each SMPP command_status of a submit_sm_resp (one table), and the
backoff of a part the SMSC refused for now."""
import random

from django.conf import settings


THROTTLE, TEMPORARY, PERMANENT = "throttle", "temporary", "permanent"
SMPP_ERRORS: dict[int, tuple[str, str]] = {
    0x01: (PERMANENT, "Message length is invalid"),
    0x02: (PERMANENT, "Command length is invalid"),
    0x03: (PERMANENT, "Invalid command ID"),
    0x04: (TEMPORARY, "Incorrect bind status for given command"),
    0x05: (TEMPORARY, "ESME already in bound state"),
    0x06: (PERMANENT, "Invalid priority flag"),
    0x07: (PERMANENT, "Invalid registered delivery flag"),
    0x08: (TEMPORARY, "System error"),
    0x0A: (PERMANENT, "Invalid source address"),
    0x0B: (PERMANENT, "Invalid destination address"),
    0x0C: (PERMANENT, "Message ID is invalid"),
    0x0D: (TEMPORARY, "Bind failed"),
    0x14: (THROTTLE, "Message queue full"),
    0x15: (PERMANENT, "Invalid service type"),
    0x33: (PERMANENT, "Invalid number of destinations"),
    0x40: (PERMANENT, "Invalid destination flag"),
    0x42: (PERMANENT, "Invalid submit with replace request"),
    0x43: (PERMANENT, "Invalid esm_class field data"),
    0x44: (PERMANENT, "Cannot submit to distribution list"),
    0x45: (TEMPORARY, "submit_sm or submit_multi failed"),
    0x48: (PERMANENT, "Invalid source address TON"),
    0x49: (PERMANENT, "Invalid source address NPI"),
    0x50: (PERMANENT, "Invalid destination address TON"),
    0x51: (PERMANENT, "Invalid destination address NPI"),
    0x53: (PERMANENT, "Invalid system_type field"),
    0x54: (PERMANENT, "Invalid replace_if_present flag"),
    0x58: (THROTTLE, "Throttling error (ESME has exceeded allowed message limits)"),
    0x61: (PERMANENT, "Invalid scheduled delivery time"),
    0x62: (PERMANENT, "Invalid message validity period (expiry time)"),
    0x63: (PERMANENT, "Predefined message invalid or not found"),
    0x64: (TEMPORARY, "ESME receiver temporary app error code"),
    0x65: (PERMANENT, "ESME receiver permanent app error code"),
    0x66: (PERMANENT, "ESME receiver reject message error code"),
    0xC0: (PERMANENT, "Error in the optional part of the PDU body"),
    0xC1: (PERMANENT, "Optional parameter not allowed"),
    0xC2: (PERMANENT, "Invalid parameter length"),
    0xC3: (PERMANENT, "Expected optional parameter missing"),
    0xC4: (PERMANENT, "Invalid optional parameter value"),
    0xFE: (TEMPORARY, "Delivery failure"),
    0xFF: (TEMPORARY, "Unknown error"),
}
GENERIC_NACK = -1  # the status recorded for a generic_nack answer to a submit_sm


def smpp_error_kind(status: int) -> str:
    """THROTTLE (resend the same part soon), TEMPORARY (retry with backoff until the TTL) or
    PERMANENT (failed, refunded). A generic_nack and codes we do not know are temporary: the TTL
    bounds the retries, and a refund follows if no part ever reached the operator."""
    if status == GENERIC_NACK:
        return TEMPORARY
    return SMPP_ERRORS.get(status, (TEMPORARY, ""))[0]


def smpp_error_code(status: int) -> str:
    return "generic_nack" if status == GENERIC_NACK else f"smpp_{status:#04x}"


def smpp_error_detail(status: int) -> str:
    if status == GENERIC_NACK:
        return "The SMSC answered generic_nack."
    return SMPP_ERRORS.get(status, (TEMPORARY, f"SMSC error {status:#04x}"))[1]


def retry_delay(attempts: int) -> float:
    """Seconds before the next try of a part that failed `attempts` times: exponential, jittered."""
    base = float(getattr(settings, "SMSPORTAL_RETRY_BASE_SECONDS", 10.0))
    cap = float(getattr(settings, "SMSPORTAL_RETRY_MAX_SECONDS", 900.0))
    return min(cap, base * 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)

