-- The alert outbox: one row per notification and receiver, written in the
-- same transaction as the alert state that decided it, so a page is either
-- decided and queued or neither. A row is pending until sent_at is set (or
-- it failed permanently, with failed = 1). Times are Unix nanoseconds.

CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL,             -- the dedupe id, also in the payload
    receiver        TEXT NOT NULL,
    fingerprint     TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT '',  -- firing, resolved, refresh, ...
    supersede       INTEGER NOT NULL DEFAULT 0,
    payload         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         INTEGER,
    failed          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_pending ON outbox (receiver, seq) WHERE sent_at IS NULL AND failed = 0;
CREATE INDEX outbox_done ON outbox (created_at) WHERE sent_at IS NOT NULL OR failed = 1;
