"""Data: the nightly job that deletes idempotency keys past their retention (48 hours)."""
from django.db import migrations

NAME = "Purge old idempotency keys"


def create_job(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = CrontabSchedule.objects.get_or_create(timezone="Europe/Kyiv", minute="50", hour="3", day_of_week="*",
                                                       day_of_month="*", month_of_year="*")
    PeriodicTask.objects.update_or_create(name=NAME, defaults={"task": "messaging.idempotency_keys_purge",
                                                              "crontab": nightly, "enabled": True})


def delete_job(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("messaging", "0012_idempotency_keys"),
                    ("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(create_job, delete_job)]
