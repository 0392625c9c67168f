# The message list's keyset indexes (API, website, exports). Built CONCURRENTLY: the message table
# takes writes while they build (ten million rows take minutes), so the migration is not atomic.
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('accounts', '0009_api_rate_limits'),
        ('messaging', '0023_viber_send'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='message',
            index=models.Index(fields=['client', 'created_at', 'id'], name='message_client_list_idx'),
        ),
        AddIndexConcurrently(
            model_name='message',
            index=models.Index(fields=['client', 'status', 'created_at', 'id'], name='message_client_status_list_idx'),
        ),
        AddIndexConcurrently(
            model_name='inboundmessage',
            index=models.Index(fields=['client', 'received_at', 'id'], name='inbound_client_list_idx'),
        ),
        # (client, created_at, id) serves every query the (client, -created_at) index did.
        RemoveIndexConcurrently(
            model_name='message',
            name='message_client_recent_idx',
        ),
    ]
