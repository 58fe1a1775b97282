-- Sign-in attempts per account (or per unknown email) in the current window, shared by every
-- instance. `subject` is an HMAC of the account id or of the email, so the table holds neither.
-- A success deletes the row; rows whose window has passed are pruned.
CREATE TABLE login_attempts (
    subject           BINARY(32)  NOT NULL PRIMARY KEY,
    attempts          INT         NOT NULL,
    window_started_at DATETIME(6) NOT NULL,
    KEY ix_login_attempts_window (window_started_at)
) ENGINE = InnoDB;
