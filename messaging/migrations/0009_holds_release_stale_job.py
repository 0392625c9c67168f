"""Data: the job that releases what is left on holds of sends with nothing left to send."""
from django.db import migrations

NAME = "Release holds of finished sends"


def create_job(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=15 * 60, period="seconds")
    PeriodicTask.objects.update_or_create(name=NAME, defaults={"task": "messaging.holds_release_stale",
                                                              "interval": every, "enabled": True})


def delete_job(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("messaging", "0008_webhooks_deliver_job"),
                    ("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(create_job, delete_job)]
