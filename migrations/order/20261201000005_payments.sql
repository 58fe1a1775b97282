-- Payment of orders through a provider (Stripe). An order needs none unless the service runs
-- with PAYMENT_PROVIDER=stripe: `payment_status` is then `not_required`, as for every order
-- placed before payments existed.
ALTER TABLE orders
    ADD COLUMN payment_status VARCHAR(16) NOT NULL DEFAULT 'not_required',
    ADD CONSTRAINT ck_orders_payment_status CHECK (payment_status IN
        ('not_required', 'awaiting_payment', 'paid', 'failed', 'expired', 'refunded'));

-- One payment per order that needs one, opened when the order is confirmed (priced). The intent
-- is created at the provider afterwards, by a payment job; until then `intent_id` is NULL.
CREATE TABLE payments (
    order_id      BINARY(16)   NOT NULL PRIMARY KEY,
    provider      VARCHAR(16)  NOT NULL,
    amount_cents  BIGINT       NOT NULL,
    currency      CHAR(3)      NOT NULL,
    intent_id     VARCHAR(255) NULL,
    client_secret VARCHAR(255) NULL,
    refund_id     VARCHAR(255) NULL,
    expires_at    DATETIME(6)  NOT NULL,
    created_at    DATETIME(6)  NOT NULL,
    updated_at    DATETIME(6)  NOT NULL,
    CONSTRAINT uq_payments_intent UNIQUE (intent_id),
    KEY ix_payments_expiry (expires_at)
) ENGINE = InnoDB;

-- The provider calls still to make: each job is one call, made with an idempotency key derived
-- from the order and the action, so a retry after a crash or a timeout never acts twice. A job
-- runs when it is due; a worker leases it by moving `due_at` past the call's deadline, so several
-- replicas share the jobs without holding locks during a call.
CREATE TABLE payment_jobs (
    order_id   BINARY(16)   NOT NULL,
    action     VARCHAR(16)  NOT NULL,
    attempts   INT          NOT NULL,
    due_at     DATETIME(6)  NOT NULL,
    last_error VARCHAR(500) NULL,
    created_at DATETIME(6)  NOT NULL,
    PRIMARY KEY (order_id, action),
    KEY ix_payment_jobs_due (due_at),
    CONSTRAINT ck_payment_jobs_action CHECK (action IN ('create_intent', 'cancel_intent', 'refund'))
) ENGINE = InnoDB;

-- The provider's webhook events, each handled once: the id is recorded in the transaction of its
-- effect. `outcome` says what came of it; `parked` ones wait for an operator.
CREATE TABLE payment_events (
    event_id    VARCHAR(255) NOT NULL PRIMARY KEY,
    event_type  VARCHAR(64)  NOT NULL,
    outcome     VARCHAR(16)  NOT NULL,
    detail      VARCHAR(500) NULL,
    received_at DATETIME(6)  NOT NULL,
    CONSTRAINT ck_payment_events_outcome CHECK (outcome IN ('applied', 'ignored', 'parked'))
) ENGINE = InnoDB;
