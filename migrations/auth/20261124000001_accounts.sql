-- Credentials: who may sign in, with what role. Profiles live in the user service.
CREATE TABLE accounts (
    id            BINARY(16)   NOT NULL PRIMARY KEY,
    email         VARCHAR(254) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    role          VARCHAR(16)  NOT NULL,
    status        VARCHAR(16)  NOT NULL DEFAULT 'active',
    created_at    DATETIME(6)  NOT NULL,
    updated_at    DATETIME(6)  NOT NULL,
    CONSTRAINT uq_accounts_email UNIQUE (email),
    CONSTRAINT ck_accounts_role CHECK (role IN ('customer', 'admin')),
    CONSTRAINT ck_accounts_status CHECK (status IN ('active', 'disabled'))
) ENGINE = InnoDB;

-- Opaque refresh tokens, stored as SHA-256 digests. Tokens rotated from one login share a
-- family, so reuse of a rotated token can revoke every token descended from that login.
CREATE TABLE refresh_tokens (
    token_hash BINARY(32)  NOT NULL PRIMARY KEY,
    family_id  BINARY(16)  NOT NULL,
    account_id BINARY(16)  NOT NULL,
    issued_at  DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    used_at    DATETIME(6) NULL,
    revoked_at DATETIME(6) NULL,
    KEY ix_refresh_tokens_family (family_id),
    KEY ix_refresh_tokens_account (account_id),
    CONSTRAINT fk_refresh_tokens_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE = InnoDB;

-- The generated signing key, when none is configured, so restarts and every instance share
-- it. `is_current` is 1 for the key in use and NULL for retired ones; the unique key makes
-- the first instance to start win the race to create it.
CREATE TABLE signing_keys (
    kid         VARCHAR(64)    NOT NULL PRIMARY KEY,
    private_key VARBINARY(512) NOT NULL,
    is_current  TINYINT        NULL,
    created_at  DATETIME(6)    NOT NULL,
    CONSTRAINT uq_signing_keys_current UNIQUE (is_current)
) ENGINE = InnoDB;
