"""Data: the nightly reconcile job, declared for django-celery-beat's DatabaseScheduler."""
from django.db import migrations

JOBS = [
    # (name, task, crontab)
    ("Reconcile wallets with their ledgers", "billing.reconcile_wallets", {"minute": "40", "hour": "2"}),
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
        ("billing", "0005_default_price_list"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_jobs, delete_jobs)]
