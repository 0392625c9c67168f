"""Legal sending hours (R-CMP-07): staff days of the sending calendar and round-the-clock
exemptions, with the triggers that keep the per-process caches of both current (smsportal.cache:
the whole "calendar" scope on any change of a day, the client's "hoursexempt" scope on a change
of one of its exemptions)."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TRIGGERS = """
CREATE TRIGGER smsportal_cache_calendar AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON compliance_calendarday
    FOR EACH STATEMENT EXECUTE FUNCTION smsportal_cache_bump_all('calendar');
CREATE TRIGGER smsportal_cache_hoursexempt AFTER INSERT OR UPDATE OR DELETE ON compliance_sendinghoursexemption
    FOR EACH ROW EXECUTE FUNCTION smsportal_cache_bump_row('hoursexempt', 'client_id');
CREATE TRIGGER smsportal_cache_hoursexempt_truncate AFTER TRUNCATE ON compliance_sendinghoursexemption
    FOR EACH STATEMENT EXECUTE FUNCTION smsportal_cache_bump_all('hoursexempt');
"""

REVERSE_TRIGGERS = """
DROP TRIGGER IF EXISTS smsportal_cache_calendar ON compliance_calendarday;
DROP TRIGGER IF EXISTS smsportal_cache_hoursexempt ON compliance_sendinghoursexemption;
DROP TRIGGER IF EXISTS smsportal_cache_hoursexempt_truncate ON compliance_sendinghoursexemption;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_mfa_secrets_encrypted'),
        ('billing', '0008_cache_versions'),
        ('compliance', '0002_content_rules'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CalendarDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField(help_text='Kyiv calendar day', unique=True)),
                ('kind', models.CharField(choices=[('business', 'Business day (09:00–20:00)'), ('holiday', 'Weekend or public holiday (11:00–18:00)')], max_length=8)),
                ('note', models.CharField(blank=True, help_text='Why, e.g. the government decree', max_length=300)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name': 'sending calendar day',
                'ordering': ['-date'],
            },
        ),
        migrations.CreateModel(
            name='SendingHoursExemption',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('message_type', models.CharField(choices=[('service', 'Service (transactional)'), ('advertising', 'Advertising')], default='service', max_length=16)),
                ('note', models.CharField(blank=True, help_text='What the client sends, e.g. OTP codes', max_length=300)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sending_hours_exemptions', to='accounts.client')),
                ('granted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'constraints': [models.UniqueConstraint(fields=('client', 'message_type'), name='sending_hours_exemption_unique'), models.CheckConstraint(condition=models.Q(('message_type', 'service')), name='sending_hours_exemption_service_only')],
            },
        ),
        migrations.RunSQL(TRIGGERS, REVERSE_TRIGGERS),
    ]
