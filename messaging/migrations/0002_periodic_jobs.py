"""The three periodic jobs, declared in one place for django-celery-beat's DatabaseScheduler."""
from django.db import migrations

JOBS = [
    # (name, task, every N seconds | crontab dict)
    ("Release due bulk and scheduled messages", "messaging.release_due", 60, None),
    ("Delivery-report matching and expiry", "messaging.poll_receipts", 60, None),
    ("Block dormant accounts", "accounts.block_dormant", None, {"minute": "15", "hour": "3"}),
]


def create_jobs(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every, cron in JOBS:
        defaults = {"task": task, "enabled": True}
        if every:
            defaults["interval"], _ = IntervalSchedule.objects.get_or_create(every=every, period="seconds")
        else:
            defaults["crontab"], _ = CrontabSchedule.objects.get_or_create(
                timezone="Europe/Kyiv", day_of_week="*", day_of_month="*", month_of_year="*", **cron)
        PeriodicTask.objects.update_or_create(name=name, defaults=defaults)


def delete_jobs(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[j[0] for j in JOBS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_jobs, delete_jobs)]
