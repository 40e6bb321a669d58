using Npgsql;

namespace Hive.Daemon.Store;

public sealed partial class PostgresStore
{
    /// <summary>The schema, one script per version. Append new versions; never edit a released one.</summary>
    internal static readonly string[] Migrations =
    [
        """
        CREATE TABLE sandboxes (
          name text PRIMARY KEY, config text NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL,
          slot integer NOT NULL UNIQUE, error text);
        -- Ids are assigned in order by the event writer. data is the event's JSON text as written (text, not jsonb, which would reorder it).
        CREATE TABLE events (
          id bigint PRIMARY KEY, ts timestamptz NOT NULL, sandbox text NOT NULL, type text NOT NULL, data text NOT NULL);
        CREATE INDEX events_sandbox ON events(sandbox, id);
        CREATE INDEX events_type ON events(type, id);
        CREATE INDEX events_sandbox_type ON events(sandbox, type, id);
        CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
        CREATE TABLE secrets (
          scope text NOT NULL, name text NOT NULL, global boolean NOT NULL, provider text, hosts text, auth text,
          value bytea NOT NULL, created_at timestamptz NOT NULL, rotated_at timestamptz, PRIMARY KEY (scope, name));
        CREATE TABLE secret_standins (
          sandbox text NOT NULL, secret text NOT NULL, stand_in text NOT NULL, auto boolean NOT NULL, created_at timestamptz NOT NULL,
          PRIMARY KEY (sandbox, secret));
        CREATE TABLE secret_activity (
          id bigint PRIMARY KEY, secret text NOT NULL, ts timestamptz NOT NULL, sandbox text NOT NULL, kind text NOT NULL,
          method text, host text, path text, status integer, upstream_status integer, duration_ms bigint, error text);
        CREATE INDEX secret_activity_secret ON secret_activity(secret, id);
        """,
        """
        CREATE TABLE llm_bodies (
          request_id bigint PRIMARY KEY, sandbox text NOT NULL,
          request text NOT NULL, request_type text, request_bytes bigint NOT NULL, request_truncated boolean NOT NULL,
          response text NOT NULL, response_type text, response_bytes bigint NOT NULL, response_truncated boolean NOT NULL);
        """,
        // v3, cluster mode: hosts own their network slots (new rows write 0), the controller places sandboxes on hosts.
        """
        ALTER TABLE sandboxes DROP CONSTRAINT IF EXISTS sandboxes_slot_key;
        ALTER TABLE sandboxes ADD COLUMN host text;
        CREATE INDEX sandboxes_host ON sandboxes(host);
        CREATE TABLE hosts (
          name text PRIMARY KEY, advertise text NOT NULL, capacity integer NOT NULL, labels text NOT NULL,
          last_seen timestamptz NOT NULL, status text NOT NULL);
        """,
        // v4: events pushed by hosts, as in SqliteStore.HostEventTables.
        """
        ALTER TABLE events ADD COLUMN origin text, ADD COLUMN origin_seq bigint;
        CREATE UNIQUE INDEX events_origin ON events(origin, origin_seq) WHERE origin IS NOT NULL;
        CREATE TABLE event_sources (source text PRIMARY KEY, seq bigint NOT NULL);
        """,
        // v5: when each sandbox was last used (Unix ms), shared by the controllers for the TTL.
        """
        ALTER TABLE sandboxes ADD COLUMN last_active bigint;
        """,
    ];

    /// <summary>
    /// Brings the schema to the newest version in one transaction (PostgreSQL's DDL is transactional), under an advisory
    /// lock so that controllers starting together migrate once.
    /// </summary>
    private int Migrate()
    {
        using var c = _db.OpenConnection();
        using var tx = c.BeginTransaction();
        Run(c, tx, $"SELECT pg_advisory_xact_lock({PostgresLocks.Schema})");
        Run(c, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
        var version = (int)Scalar(c, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations")!;
        if (version > Migrations.Length)
            throw new InvalidOperationException($"database: {Description} is at schema version {version}, newer than this hive knows ({Migrations.Length}); run the newer hive");
        for (; version < Migrations.Length; version++)
        {
            Run(c, tx, Migrations[version]);
            Run(c, tx, "INSERT INTO schema_migrations(version) VALUES (@v)", ("v", version + 1));
        }
        tx.Commit();
        return version;
    }
}
