"""The staff review queue (a proxy of Message: its admin page and permissions, no table) and the
periodic job that expires held messages past their lifetime, uncharged. The proxy writes no
schema, so the job's data step shares the file."""
from django.db import migrations

JOB = "Expire messages held for review past their lifetime"


def create_job(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=5 * 60, period="seconds")
    PeriodicTask.objects.update_or_create(name=JOB, defaults={"task": "messaging.held_expire", "interval": every,
                                                             "enabled": True})


def delete_job(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=JOB).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("messaging", "0018_route_password_encrypted"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReviewQueue",
            fields=[],
            options={
                "verbose_name": "review queue",
                "verbose_name_plural": "review queue",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("messaging.message",),
        ),
        migrations.RunPython(create_job, delete_job),
    ]
