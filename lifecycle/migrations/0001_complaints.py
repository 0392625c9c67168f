"""Complaints about a client's messages (R-CMP-09), and the hourly job that flags the ones whose
answer is overdue (declared for django-celery-beat's DatabaseScheduler, like the other jobs).
One file for both: the app's first migration; the job's RunPython has its reverse."""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


JOB = "Flag complaints without the client's answer in time"


def create_job(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    hourly, _ = CrontabSchedule.objects.get_or_create(timezone="Europe/Kyiv", minute="7", hour="*", day_of_week="*",
                                                      day_of_month="*", month_of_year="*")
    PeriodicTask.objects.update_or_create(name=JOB, defaults={"task": "lifecycle.complaints_flag_overdue",
                                                             "crontab": hourly, "enabled": True})


def delete_job(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=JOB).delete()


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0005_mfa_secrets_encrypted'),
        ('messaging', '0018_route_password_encrypted'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('django_celery_beat', '0019_alter_periodictasks_options'),
    ]

    operations = [
        migrations.CreateModel(
            name='Complaint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('source', models.CharField(choices=[('operator', 'A mobile operator'), ('recipient', 'A recipient'), ('third_party', 'A third party')], max_length=16)),
                ('complainant', models.CharField(blank=True, help_text="Who complained, as the client sees it (an operator's name; optional).", max_length=200)),
                ('complainant_contact', models.CharField(blank=True, help_text='How to reach the complainant; staff only.', max_length=200)),
                ('subject', models.TextField(help_text='What the complaint is about, as the client reads it.')),
                ('status', models.CharField(choices=[('open', 'Waiting for your answer'), ('answered', 'Answered, under review'), ('resolved', 'Resolved')], default='open', max_length=16)),
                ('received_at', models.DateTimeField()),
                ('answer_due_on', models.DateField(help_text="The last Kyiv day for the client's answer (2 business days).")),
                ('notified_email', models.BooleanField(default=False)),
                ('overdue_flagged_at', models.DateTimeField(blank=True, help_text='When staff were told the answer is overdue.', null=True)),
                ('answer', models.TextField(blank=True)),
                ('answered_at', models.DateTimeField(blank=True, null=True)),
                ('decision', models.CharField(blank=True, choices=[('dismissed', 'Dismissed'), ('penalized', 'Penalty charged'), ('blocked', 'Account blocked')], max_length=16)),
                ('decision_note', models.TextField(blank=True, help_text='Why, as the client reads it.')),
                ('penalty_messages', models.PositiveIntegerField(blank=True, null=True)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('answered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='complaints', to='accounts.client')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('messages', models.ManyToManyField(related_name='complaints', to='messaging.message')),
                ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-received_at', '-id'],
                'indexes': [models.Index(fields=['client', '-received_at'], name='complaint_client_recent_idx'), models.Index(fields=['status', 'answer_due_on'], name='complaint_due_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('status', 'resolved'), models.Q(('decision', ''), _negated=True), ('decided_at__isnull', False)), models.Q(models.Q(('status', 'resolved'), _negated=True), ('decision', ''), ('decided_at__isnull', True)), _connector='OR'), name='complaint_resolved_has_decision'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'answered'), _negated=True), ('answered_at__isnull', False), _connector='OR'), name='complaint_answered_has_time'), models.CheckConstraint(condition=models.Q(models.Q(('decision', 'penalized'), ('penalty_messages__gte', 1)), models.Q(models.Q(('decision', 'penalized'), _negated=True), ('penalty_messages__isnull', True)), _connector='OR'), name='complaint_penalty_count')],
            },
        ),
        migrations.RunPython(create_job, delete_job),
    ]
