-- Several monitor replicas on one store. A lease names what one replica
-- alone may do for a while (schedule a job); it is renewed by its holder
-- and free for another replica once expires_at (Unix nanoseconds) passed.
-- An outbox row is claimed by the replica delivering it until claimed_until,
-- so a dead replica's claims return to the others. The same SQL serves
-- both dialects; SQLite only ever sees its one replica.

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT NOT NULL DEFAULT 0;
