-- Profiles, one per account (same id as in auth), created from `user.registered`.
-- Phone and address are encrypted (AES-256-GCM) with the key named by `pii_key_id`.
CREATE TABLE profiles (
    id                 BINARY(16)     NOT NULL PRIMARY KEY,
    email              VARCHAR(254)   NOT NULL,
    name               VARCHAR(100)   NOT NULL,
    role               VARCHAR(16)    NOT NULL,
    phone_encrypted    VARBINARY(256)  NULL,
    address_encrypted  VARBINARY(2048) NULL,
    pii_key_id         VARCHAR(64)    NULL,
    created_at         DATETIME(6)    NOT NULL,
    updated_at         DATETIME(6)    NOT NULL,
    deleted_at         DATETIME(6)    NULL,
    CONSTRAINT uq_profiles_email UNIQUE (email),
    KEY ix_profiles_name (name),
    CONSTRAINT ck_profiles_role CHECK (role IN ('customer', 'admin'))
) ENGINE = InnoDB;

-- Encryption keys generated for local use when none is configured. Production configures
-- USER_PII_KEYS instead, so the keys never sit beside the data they protect.
CREATE TABLE local_pii_keys (
    kid        VARCHAR(64)  NOT NULL PRIMARY KEY,
    secret     BINARY(32)   NOT NULL,
    is_current TINYINT      NULL,
    created_at DATETIME(6)  NOT NULL,
    CONSTRAINT uq_local_pii_keys_current UNIQUE (is_current)
) ENGINE = InnoDB;
