"""The 10-a-day cap (R-CMP-03) counts a client's messages to one recipient on one Kyiv day, at
accept and again when a message is released or claimed (one probe per message): an index on
(client, recipient, send_at). Built concurrently, so sends and the connectors go on meanwhile."""
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('messaging', '0019_review_queue'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='message',
            index=models.Index(fields=['client', 'recipient', 'send_at'], name='message_frequency_idx'),
        ),
    ]
