-- Orders. Ids are UUIDv7, so id order is creation order: lists page by id, newest first.
-- `total_cents` and `currency` are known once the product service has priced the lines.
-- `idempotency_key` is the client's key for the request that created the order (unique per
-- user), `request_hash` the SHA-256 of that request's lines, to tell a replay from a reuse.
CREATE TABLE orders (
    id               BINARY(16)   NOT NULL PRIMARY KEY,
    user_id          BINARY(16)   NOT NULL,
    status           VARCHAR(16)  NOT NULL,
    total_cents      BIGINT       NULL,
    currency         CHAR(3)      NULL,
    rejection_reason VARCHAR(32)  NULL,
    idempotency_key  VARCHAR(255) NULL,
    request_hash     BINARY(32)   NOT NULL,
    created_at       DATETIME(6)  NOT NULL,
    updated_at       DATETIME(6)  NOT NULL,
    CONSTRAINT uq_orders_idempotency UNIQUE (user_id, idempotency_key),
    CONSTRAINT ck_orders_status
        CHECK (status IN ('pending', 'confirmed', 'rejected', 'cancelled', 'shipped', 'delivered')),
    KEY ix_orders_user (user_id, id),
    KEY ix_orders_status (status, id),
    KEY ix_orders_pending_age (status, created_at)
) ENGINE = InnoDB;

-- The lines as asked for, then priced (name and unit price as the product service reserved them:
-- the price snapshot) or marked with why they could not be reserved.
CREATE TABLE order_lines (
    order_id         BINARY(16)   NOT NULL,
    line_no          SMALLINT     NOT NULL,
    product_id       BINARY(16)   NOT NULL,
    quantity         INT          NOT NULL,
    name             VARCHAR(200) NULL,
    unit_price_cents BIGINT       NULL,
    rejection_reason VARCHAR(32)  NULL,
    available        BIGINT       NULL,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT uq_order_lines_product UNIQUE (order_id, product_id),
    CONSTRAINT ck_order_lines_quantity CHECK (quantity BETWEEN 1 AND 1000)
) ENGINE = InnoDB;

-- Every status an order has had, in order. `changed_by` is the user who asked for the change;
-- NULL when the saga or the pending-order timeout made it.
CREATE TABLE order_status_history (
    seq         BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id    BINARY(16)  NOT NULL,
    from_status VARCHAR(16) NULL,
    to_status   VARCHAR(16) NOT NULL,
    reason      VARCHAR(32) NULL,
    changed_by  BINARY(16)  NULL,
    changed_at  DATETIME(6) NOT NULL,
    KEY ix_order_status_history_order (order_id, seq)
) ENGINE = InnoDB;
