-- The alert outbox: one row per notification and receiver, written in the
-- same transaction as the alert state that decided it, so a page is either
-- decided and queued or neither. A row is pending until sent_at is set (or
-- it failed permanently, with failed = 1). Times are Unix nanoseconds.

CREATE TABLE outbox (
    seq             BIGSERIAL PRIMARY KEY,
    id              TEXT NOT NULL,             -- the dedupe id, also in the payload
    receiver        TEXT NOT NULL,
    fingerprint     TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT '',  -- firing, resolved, refresh, ...
    supersede       BIGINT NOT NULL DEFAULT 0,
    payload         TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         BIGINT,
    failed          BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outbox_pending ON outbox (receiver, seq) WHERE sent_at IS NULL AND failed = 0;
CREATE INDEX outbox_done ON outbox (created_at) WHERE sent_at IS NOT NULL OR failed = 1;
