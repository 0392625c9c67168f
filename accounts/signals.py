"""What accounts tells the apps above it, without knowing them (accounts imports no other app)."""
from django.dispatch import Signal

# Sent inside `client_create`'s transaction with `client=`: billing opens the client's wallet.
client_created = Signal()
