-- One row per welcome mail, keyed by the event that asked for it, so a mail is never sent twice.
-- `sending` is written before the provider is called and replaced after: a row still `sending`
-- after a crash means the outcome is unknown.
CREATE TABLE sent_mail (
    event_id            BINARY(16)   NOT NULL PRIMARY KEY,
    recipient           VARCHAR(254) NOT NULL,
    status              VARCHAR(16)  NOT NULL,
    attempts            INT          NOT NULL,
    provider_message_id VARCHAR(255) NULL,
    last_error          VARCHAR(1000) NULL,
    created_at          DATETIME(6)  NOT NULL,
    updated_at          DATETIME(6)  NOT NULL,
    CONSTRAINT ck_sent_mail_status CHECK (status IN ('sending', 'sent', 'retryable', 'rejected'))
) ENGINE = InnoDB;
