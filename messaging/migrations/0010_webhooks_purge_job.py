"""Data: the nightly job that deletes webhook events and deliveries older than 30 days."""
from django.db import migrations

NAME = "Purge old webhook events"


def create_job(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = CrontabSchedule.objects.get_or_create(timezone="Europe/Kyiv", minute="40", hour="3", day_of_week="*",
                                                       day_of_month="*", month_of_year="*")
    PeriodicTask.objects.update_or_create(name=NAME, defaults={"task": "messaging.webhooks_purge",
                                                              "crontab": nightly, "enabled": True})


def delete_job(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("messaging", "0009_holds_release_stale_job"),
                    ("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(create_job, delete_job)]
