"""Data: the daily termination jobs (R-ACC-08), declared for django-celery-beat's DatabaseScheduler.
(The dormancy job is declared in messaging/migrations/0002_periodic_jobs.py.)"""
from django.db import migrations

JOBS = [
    # (name, task, crontab)
    ("Terminate accounts at the end of their notice", "accounts.terminate_due", {"minute": "5", "hour": "0"}),
    ("Destroy personal data a year after termination", "accounts.destroy_terminated_data",
     {"minute": "30", "hour": "3"}),
]


def create_jobs(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, cron in JOBS:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            timezone="Europe/Kyiv", day_of_week="*", day_of_month="*", month_of_year="*", **cron)
        PeriodicTask.objects.update_or_create(name=name, defaults={"task": task, "enabled": True, "crontab": crontab})


def delete_jobs(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[j[0] for j in JOBS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_legal_details_blocks_team_phone"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_jobs, delete_jobs)]
