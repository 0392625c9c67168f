"""Version counters for the per-process caches of rarely changing rows (smsportal.cache).

Every change of a cached table, however it is made (admin, services, bulk_create, queryset
update, raw SQL, TRUNCATE), bumps a counter in `smsportal_cache_version` in the same transaction,
through triggers: a request that reads the counters sees a new value exactly when it can see the
changed rows. Global tables (price lists, routes, operator prefixes) bump (scope, 0); rows that
belong to one client (sender names and their national registrations, opt-outs, grace periods)
bump (scope, client), so one client's change does not empty every client's cache. The values
come from a sequence, never from `version + 1`: a rolled-back change can never hand its number
to a later, different change."""
from django.db import migrations

SQL = """
CREATE SEQUENCE smsportal_cache_version_seq;
CREATE TABLE smsportal_cache_version (
    scope varchar(32) NOT NULL,
    client_id bigint NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (scope, client_id)
);

CREATE FUNCTION smsportal_cache_bump(p_scope text, p_client bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO smsportal_cache_version (scope, client_id, version)
    VALUES (p_scope, coalesce(p_client, 0), nextval('smsportal_cache_version_seq'))
    ON CONFLICT (scope, client_id) DO UPDATE SET version = EXCLUDED.version
$$;

-- FOR EACH STATEMENT: TG_ARGV[0] is the scope; the whole scope (client 0) changes.
CREATE FUNCTION smsportal_cache_bump_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM smsportal_cache_bump(TG_ARGV[0], 0);
    RETURN NULL;
END $$;

-- FOR EACH ROW: TG_ARGV = (scope, column of the row, [table to look the client up in by that id]).
CREATE FUNCTION smsportal_cache_bump_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rec jsonb;
    ref bigint;
    client bigint;
BEGIN
    FOREACH rec IN ARRAY ARRAY[to_jsonb(NEW), to_jsonb(OLD)] LOOP
        CONTINUE WHEN rec IS NULL;
        ref := (rec ->> TG_ARGV[1])::bigint;
        IF TG_NARGS > 2 THEN
            EXECUTE 'SELECT client_id FROM ' || quote_ident(TG_ARGV[2]) || ' WHERE id = $1' INTO client USING ref;
        ELSE
            client := ref;
        END IF;
        PERFORM smsportal_cache_bump(TG_ARGV[0], client);  -- a client not found: the whole scope
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER smsportal_cache_prices AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON billing_tariff
    FOR EACH STATEMENT EXECUTE FUNCTION smsportal_cache_bump_all('prices');
CREATE TRIGGER smsportal_cache_prices AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON billing_tariffprice
    FOR EACH STATEMENT EXECUTE FUNCTION smsportal_cache_bump_all('prices');
CREATE TRIGGER smsportal_cache_routes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON messaging_route
    FOR EACH STATEMENT EXECUTE FUNCTION smsportal_cache_bump_all('routes');
CREATE TRIGGER smsportal_cache_routes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON messaging_operatorprefix
    FOR EACH STATEMENT EXECUTE FUNCTION smsportal_cache_bump_all('routes');

CREATE TRIGGER smsportal_cache_senders AFTER INSERT OR UPDATE OR DELETE ON senders_sendername
    FOR EACH ROW EXECUTE FUNCTION smsportal_cache_bump_row('senders', 'client_id');
CREATE TRIGGER smsportal_cache_senders AFTER INSERT OR UPDATE OR DELETE ON senders_nationalregistration
    FOR EACH ROW EXECUTE FUNCTION smsportal_cache_bump_row('senders', 'sender_id', 'senders_sendername');
CREATE TRIGGER smsportal_cache_optouts AFTER INSERT OR UPDATE OR DELETE ON compliance_optout
    FOR EACH ROW EXECUTE FUNCTION smsportal_cache_bump_row('optouts', 'client_id');
CREATE TRIGGER smsportal_cache_grace AFTER INSERT OR UPDATE OR DELETE ON billing_graceperiod
    FOR EACH ROW EXECUTE FUNCTION smsportal_cache_bump_row('grace', 'wallet_id', 'billing_wallet');
CREATE TRIGGER smsportal_cache_senders_truncate AFTER TRUNCATE ON senders_sendername
    FOR EACH STATEMENT EXECUTE FUNCTION smsportal_cache_bump_all('senders');
CREATE TRIGGER smsportal_cache_senders_truncate AFTER TRUNCATE ON senders_nationalregistration
    FOR EACH STATEMENT EXECUTE FUNCTION smsportal_cache_bump_all('senders');
CREATE TRIGGER smsportal_cache_optouts_truncate AFTER TRUNCATE ON compliance_optout
    FOR EACH STATEMENT EXECUTE FUNCTION smsportal_cache_bump_all('optouts');
CREATE TRIGGER smsportal_cache_grace_truncate AFTER TRUNCATE ON billing_graceperiod
    FOR EACH STATEMENT EXECUTE FUNCTION smsportal_cache_bump_all('grace');
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS smsportal_cache_prices ON billing_tariff;
DROP TRIGGER IF EXISTS smsportal_cache_prices ON billing_tariffprice;
DROP TRIGGER IF EXISTS smsportal_cache_routes ON messaging_route;
DROP TRIGGER IF EXISTS smsportal_cache_routes ON messaging_operatorprefix;
DROP TRIGGER IF EXISTS smsportal_cache_senders ON senders_sendername;
DROP TRIGGER IF EXISTS smsportal_cache_senders ON senders_nationalregistration;
DROP TRIGGER IF EXISTS smsportal_cache_optouts ON compliance_optout;
DROP TRIGGER IF EXISTS smsportal_cache_grace ON billing_graceperiod;
DROP TRIGGER IF EXISTS smsportal_cache_senders_truncate ON senders_sendername;
DROP TRIGGER IF EXISTS smsportal_cache_senders_truncate ON senders_nationalregistration;
DROP TRIGGER IF EXISTS smsportal_cache_optouts_truncate ON compliance_optout;
DROP TRIGGER IF EXISTS smsportal_cache_grace_truncate ON billing_graceperiod;
DROP FUNCTION IF EXISTS smsportal_cache_bump_row();
DROP FUNCTION IF EXISTS smsportal_cache_bump_all();
DROP FUNCTION IF EXISTS smsportal_cache_bump(text, bigint);
DROP TABLE IF EXISTS smsportal_cache_version;
DROP SEQUENCE IF EXISTS smsportal_cache_version_seq;
"""


def forwards(apps, schema_editor):
    schema_editor.execute(SQL)


def backwards(apps, schema_editor):
    schema_editor.execute(REVERSE_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_tariff_viber_sender_fee"),
        ("messaging", "0011_message_type"),
        ("senders", "0004_seed_brands_of_never_national_names"),
        ("compliance", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
