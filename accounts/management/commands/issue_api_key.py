from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import api_key_create


class Command(BaseCommand):
    help = "Prints a new API key for the client of the user with this email (the last line is the key)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="Command-line key")

    def handle(self, *args, **options):
        user = User.objects.filter(email__iexact=options["email"]).select_related("client").first()
        if user is None:
            raise CommandError(f"No user with email {options['email']}.")
        if user.client is None:
            raise CommandError(f"{user.email} belongs to no client (a staff user?).")
        key, raw = api_key_create(client=user.client, name=options["name"], created_by=user)
        self.stdout.write(f"API key '{key.name}' for {user.client.name} (prefix {key.prefix}); shown once:")
        self.stdout.write(raw)
