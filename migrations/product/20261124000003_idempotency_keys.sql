-- `Idempotency-Key`s of POST /product: per admin, the fingerprint of the request the key was used
-- for and the product it created, written in the creating transaction.
CREATE TABLE idempotency_keys (
    principal       BINARY(16)   NOT NULL,
    idempotency_key VARCHAR(255) NOT NULL,
    request_hash    BINARY(32)   NOT NULL,
    resource_id     BINARY(16)   NOT NULL,
    created_at      DATETIME(6)  NOT NULL,
    PRIMARY KEY (principal, idempotency_key)
) ENGINE = InnoDB;
