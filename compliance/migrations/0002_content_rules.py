"""Content-screening rules (R-CMP-01, 02, 04, 10): rules, brands, link domains and an allow-list,
staff-editable; the triggers that bump the "content" cache counter on any change of them (so every
process compiles its matcher again, compliance.content); and the seeded rules
(compliance/migrations/_content_seed.py: every category of R-CMP-01 refused, R-CMP-02 held for
review, Ukrainian operators, banks and state services with their domains).
Schema and seed share this file so that later compliance migrations depend on one name."""

import django.db.models.deletion
from django.db import migrations, models


from ._content_seed import seed, unseed  # noqa: E402

TABLES = ["compliance_contentrule", "compliance_brand", "compliance_linkdomain", "compliance_allowlistentry"]
TRIGGERS = "".join(
    f"CREATE TRIGGER smsportal_cache_content AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {t}\n"
    f"    FOR EACH STATEMENT EXECUTE FUNCTION smsportal_cache_bump_all('content');\n" for t in TABLES)
REVERSE_TRIGGERS = "".join(f"DROP TRIGGER IF EXISTS smsportal_cache_content ON {t};\n" for t in TABLES)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_mfa_secrets_encrypted'),
        ('compliance', '0001_initial'),
        ('billing', '0008_cache_versions'),  # smsportal_cache_bump_all(), used by the triggers below
    ]

    operations = [
        migrations.CreateModel(
            name='Brand',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('operator', 'Mobile operator'), ('bank', 'Bank or payment service'), ('state', 'State service'), ('messenger', 'Messenger or messaging provider')], max_length=16)),
                ('name', models.CharField(max_length=100)),
                ('aliases', models.TextField(blank=True, help_text='Other spellings, one per line (Latin and Cyrillic). The name is always included.')),
                ('link_tokens', models.TextField(blank=True, help_text='Words that name this brand inside a host name, one per line (privat24, monobank, diia).')),
                ('domains', models.TextField(blank=True, help_text="The brand's own registered domains, one per line.")),
                ('active', models.BooleanField(default=True)),
                ('notes', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['kind', 'name'],
            },
        ),
        migrations.CreateModel(
            name='ContentRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('category', models.CharField(choices=[('spam', 'Spam'), ('fraud', 'Fraud, phishing, malware'), ('nigerian', 'Advance-fee ("Nigerian") letters'), ('alcohol', 'Alcohol'), ('tobacco', 'Tobacco and e-cigarettes'), ('drugs', 'Drugs'), ('weapons', 'Weapons'), ('gambling', 'Gambling'), ('crypto', 'Crypto and currency markets'), ('esoteric', 'Fortune-telling, numerology, healing'), ('adult', 'Erotic or pornographic'), ('politics', 'Political content'), ('religion', 'Religious content'), ('obscene', 'Obscene language'), ('threats', 'Threats'), ('discrimination', 'Discrimination'), ('operator', 'Operator mention or impersonation'), ('messengers', 'Other messaging providers or messengers'), ('lottery', 'Lotteries and contests'), ('finance', 'Financial services'), ('medicine', 'Medicine and supplements'), ('organizations', 'Public or political organizations'), ('licensed', 'Licensed goods'), ('minors', 'Minors'), ('personal_data', 'Personal data')], db_index=True, max_length=32)),
                ('name', models.CharField(blank=True, help_text='A short label for staff.', max_length=120)),
                ('patterns', models.TextField(help_text='One word, stem, phrase or regular expression per line.')),
                ('languages', models.CharField(default='uk,ru,en', help_text='Comma-separated: uk, ru, en (documentation and filtering only).', max_length=20)),
                ('match_mode', models.CharField(choices=[('word_start', 'Word start (stem: казин → казино, казиноо)'), ('whole_word', 'Whole word or phrase only'), ('anywhere', 'Anywhere, also inside words'), ('regex', 'Regular expressions (on the lowercased text)')], default='word_start', max_length=16)),
                ('action', models.CharField(choices=[('refuse', 'Refuse'), ('review', 'Hold for review')], default='refuse', max_length=8)),
                ('active', models.BooleanField(default=True)),
                ('notes', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['category', 'id'],
            },
        ),
        migrations.CreateModel(
            name='AllowListEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('word', 'Word'), ('domain', 'Domain')], default='word', max_length=8)),
                ('value', models.CharField(max_length=200)),
                ('active', models.BooleanField(default=True)),
                ('notes', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('client', models.ForeignKey(blank=True, help_text='Empty: for every client.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.client')),
            ],
            options={
                'verbose_name_plural': 'allow-list entries',
                'ordering': ['kind', 'value'],
            },
        ),
        migrations.CreateModel(
            name='LinkDomain',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('shortener', 'URL shortener'), ('suspicious_tld', 'Suspicious top-level domain')], max_length=16)),
                ('domain', models.CharField(help_text='A registered domain (cutt.ly) or a suffix (zip, top).', max_length=253)),
                ('active', models.BooleanField(default=True)),
                ('notes', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['kind', 'domain'],
                'constraints': [models.UniqueConstraint(fields=('kind', 'domain'), name='link_domain_unique')],
            },
        ),
        migrations.RunSQL(TRIGGERS, REVERSE_TRIGGERS),
        migrations.RunPython(seed, unseed),
    ]
