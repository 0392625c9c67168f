from django.db import migrations

NAME = "Mark finished campaigns done"


def create_job(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.update_or_create(name=NAME, defaults={"task": "messaging.campaigns_settle",
                                                              "interval": every, "enabled": True})


def delete_job(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("messaging", "0003_campaigns_contacts_routing")]

    operations = [migrations.RunPython(create_job, delete_job)]
