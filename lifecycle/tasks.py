from celery import shared_task

from . import announcements, complaints, services


@shared_task(name="accounts.block_dormant", ignore_result=True)
def clients_block_dormant_task() -> int:
    """Daily: blocks accounts with no use of funds for 3 years since their last top-up (R-ACC-07)."""
    return services.clients_block_dormant()


@shared_task(name="accounts.terminate_due", ignore_result=True)
def clients_terminate_due_task() -> int:
    """Daily: accounts whose termination notice ended stop (R-ACC-08)."""
    return services.clients_terminate_due()


@shared_task(name="accounts.destroy_terminated_data", ignore_result=True)
def clients_destroy_personal_data_task() -> int:
    """Daily: personal data and recipient lists of accounts terminated a year ago are destroyed (R-ACC-08)."""
    return services.clients_destroy_personal_data()


@shared_task(name="lifecycle.complaints_flag_overdue", ignore_result=True)
def complaints_flag_overdue_task() -> int:
    """Hourly: complaints the client did not answer within 2 business days are flagged to staff (R-CMP-09)."""
    return complaints.complaints_flag_overdue()


@shared_task(name="lifecycle.announcement_email", ignore_result=True)
def announcement_email_task(announcement_id: int) -> int:
    """Emails a published announcement to every active client, once (R-SVC-01, R-SVC-02)."""
    return announcements.announcement_email(announcement_id=announcement_id)
