-- The messaging tables every schema carries (crates/messaging/schema.sql).
-- Events waiting to be published. `seq` orders them; `id` is the event id (UUIDv7).
CREATE TABLE outbox (
    seq          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    id           BINARY(16)   NOT NULL,
    event_type   VARCHAR(100) NOT NULL,
    envelope     MEDIUMTEXT   NOT NULL,
    created_at   DATETIME(6)  NOT NULL,
    published_at DATETIME(6)  NULL,
    CONSTRAINT uq_outbox_id UNIQUE (id),
    KEY ix_outbox_pending (published_at, seq)
) ENGINE = InnoDB;

-- Messages already handled, recorded in the transaction of their effect.
CREATE TABLE inbox (
    message_id  BINARY(16)   NOT NULL PRIMARY KEY,
    event_type  VARCHAR(100) NOT NULL,
    received_at DATETIME(6)  NOT NULL,
    KEY ix_inbox_received (received_at)
) ENGINE = InnoDB;
