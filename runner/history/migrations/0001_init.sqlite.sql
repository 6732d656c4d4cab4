-- Runs, their checks and drift events, alert state and spec versions.
-- Times are Unix nanoseconds (UTC): compact, sortable and exact on round trip.

CREATE TABLE runs (
    id          TEXT PRIMARY KEY,
    job         TEXT NOT NULL,
    target      TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,          -- NULL while the run is in flight
    verdict     TEXT,             -- NULL while the run is in flight
    exit_code   INTEGER NOT NULL DEFAULT 0,
    counts      TEXT NOT NULL DEFAULT '{}',
    out_dir     TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_job_started ON runs (job, started_at DESC);
CREATE INDEX runs_started ON runs (started_at);

CREATE TABLE checks (
    run_id        TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    check_id      TEXT NOT NULL,
    operation     TEXT NOT NULL,
    verdict       TEXT NOT NULL,
    latency_ms    INTEGER NOT NULL DEFAULT 0,
    http_status   INTEGER NOT NULL DEFAULT 0,
    envelope_code TEXT NOT NULL DEFAULT '',
    message       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE INDEX checks_operation ON checks (operation);

CREATE TABLE drift_events (
    run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    operation   TEXT NOT NULL,
    pointer     TEXT NOT NULL,
    change      TEXT NOT NULL,
    severity    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE INDEX drift_events_fingerprint ON drift_events (fingerprint);

-- The alert engine owns the JSON in state; the store only relies on its
-- "status" member, to prune resolved alerts.
CREATE TABLE alert_state (
    key        TEXT PRIMARY KEY,
    job        TEXT NOT NULL,
    state      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX alert_state_job ON alert_state (job);

-- One row per distinct content of a source; seeing the same content again
-- moves last_seen_at, so "latest" follows A -> B -> A publishes correctly.
CREATE TABLE spec_versions (
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,
    hash          TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    valid         INTEGER NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    content       BLOB NOT NULL,
    UNIQUE (source, hash)
);
CREATE INDEX spec_versions_latest ON spec_versions (source, last_seen_at DESC);
