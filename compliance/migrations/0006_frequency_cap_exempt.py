"""The 10-a-day cap (R-CMP-03) may be lifted for a client's service messages approved for
round-the-clock sending (`frequency_cap_exempt`). The connector's claim and the minute job read
every client's exemptions at once (compliance.hours.sending_hours_exempt_clients,
frequency_cap_exempt_clients), cached under the whole "hoursexempt" scope: any change of an
exemption now bumps it too (the row trigger of 0003 bumps only the client's own counter)."""
from django.db import migrations, models

TRIGGERS = """
CREATE TRIGGER smsportal_cache_hoursexempt_all AFTER INSERT OR UPDATE OR DELETE ON compliance_sendinghoursexemption
    FOR EACH STATEMENT EXECUTE FUNCTION smsportal_cache_bump_all('hoursexempt');
"""

REVERSE_TRIGGERS = """
DROP TRIGGER IF EXISTS smsportal_cache_hoursexempt_all ON compliance_sendinghoursexemption;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('compliance', '0005_stop_lists_consent'),
    ]

    operations = [
        migrations.AddField(
            model_name='sendinghoursexemption',
            name='frequency_cap_exempt',
            field=models.BooleanField(default=False, help_text='These service messages may also go more than the daily cap (10) a day to one recipient (R-CMP-03), e.g. one-time codes.'),
        ),
        migrations.RunSQL(TRIGGERS, REVERSE_TRIGGERS),
    ]
