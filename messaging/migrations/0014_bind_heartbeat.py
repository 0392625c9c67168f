import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("messaging", "0013_idempotency_keys_purge_job"),
    ]

    operations = [
        migrations.CreateModel(
            name="BindHeartbeat",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("process", models.CharField(help_text="host:pid of the connector process.", max_length=100)),
                ("bind", models.PositiveSmallIntegerField(help_text="The bind's number in its process.")),
                ("bound_since", models.DateTimeField(blank=True, help_text="Empty while the bind is down.", null=True)),
                ("window_in_use", models.PositiveIntegerField(default=0, help_text="submit_sm written and not yet answered.")),
                ("window_size", models.PositiveIntegerField(default=0)),
                ("submitted", models.PositiveBigIntegerField(default=0, help_text="Parts accepted since the process started.")),
                ("throttled", models.PositiveBigIntegerField(default=0, help_text="Throttled answers since the process started.")),
                ("heartbeat_at", models.DateTimeField()),
                ("route", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="messaging.route")),
            ],
            options={
                "ordering": ["route_id", "process", "bind"],
                "constraints": [models.UniqueConstraint(fields=("route", "process", "bind"), name="bind_heartbeat_unique")],
            },
        ),
    ]
