"""Every write of the accounts app, as one namespace (`from accounts.services import …`).

- core: audit records, clients, the can-send check, staff settings
- api_keys: API keys with regenerate and IP allow-lists (R-ACC-04)
- blocking: staff blocks, explanations, unblock, dormancy, linked accounts (R-ACC-02, 06, 07)
- legal: legal details, contract, staff flags (R-ACC-10)
- termination: notice, termination, destruction of personal data (R-ACC-08)

Block, termination and data destruction also reach the other apps: those are `lifecycle.services`,
above every app, which calls the accounts parts here and each app's own part.
- signup: phone numbers, one account per person (R-ACC-01, 02)
- phone_codes: one-time codes by SMS for password reset (R-ACC-05)
- team: invitations and roles
"""
from .api_keys import (API_KEY_PREFIX, ApiKeyIpRefused, allowed_ips_parse, api_key_authenticate, api_key_create,
                       api_key_ip_allowed, api_key_ips_set, api_key_rate_set, api_key_regenerate, api_key_revoke)
from .blocking import (DORMANT_AFTER_YEARS, BlockError, block_explanation_submit, client_block_open, client_unblock,
                       explanation_deadline)
from .core import (AccountBlocked, accounts_settings_get, audit_record, client_assert_can_send, client_create,
                   client_lock_for_send, clients_lock_active, system_client_get, user_create)
from .legal import (LegalDetailsInvalid, client_contract_request, client_contract_sign, client_flags_set,
                    client_legal_update, contract_missing_fields, edrpou_valid, legal_form_for, rnokpp_valid,
                    tax_code_problem)
from .phone_codes import PhoneCodeError, password_reset_by_code, password_reset_code_send
from .signup import DuplicateAccount, client_flag_shared_phone, client_offer_accept, signup_duplicates
from .team import (TeamError, invitation_accept, invitation_create, invitation_get, invitation_revoke,
                   team_member_remove, team_role_set)
from .termination import (TerminationError, accounts_personal_data_destroy, client_access_stop,
                          client_termination_cancel, client_termination_record, client_termination_request)

__all__ = [
    "API_KEY_PREFIX", "AccountBlocked", "ApiKeyIpRefused", "BlockError", "DORMANT_AFTER_YEARS", "LegalDetailsInvalid",
    "TerminationError", "accounts_settings_get", "allowed_ips_parse", "api_key_authenticate", "api_key_create",
    "api_key_ip_allowed", "api_key_ips_set", "api_key_rate_set", "api_key_regenerate", "api_key_revoke", "audit_record",
    "accounts_personal_data_destroy", "block_explanation_submit", "clients_lock_active", "system_client_get", "client_access_stop", "client_assert_can_send",
    "client_lock_for_send", "client_block_open", "client_termination_record",
    "client_contract_request", "client_contract_sign", "client_create", "client_flags_set", "client_legal_update",
    "client_termination_cancel", "client_termination_request", "client_unblock",
    "contract_missing_fields", "edrpou_valid", "explanation_deadline", "legal_form_for", "rnokpp_valid",
    "tax_code_problem", "TeamError", "invitation_accept", "invitation_create", "invitation_get", "invitation_revoke",
    "team_member_remove", "team_role_set", "PhoneCodeError", "password_reset_by_code", "password_reset_code_send",
    "DuplicateAccount", "client_offer_accept", "signup_duplicates", "client_flag_shared_phone", "user_create",
]
