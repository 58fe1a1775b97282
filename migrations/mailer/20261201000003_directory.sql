-- The mailer's directory: each account's address and name as the user events tell them, so an
-- order mail reaches the address the customer has now, without asking another service.
-- A deleted account keeps its row with `deleted_at` set and no address: nothing is sent to it,
-- and a late event about it is not mistaken for one about an account not heard of yet.
CREATE TABLE directory (
    user_id    BINARY(16)   NOT NULL PRIMARY KEY,
    email      VARCHAR(254) NULL,
    name       VARCHAR(200) NOT NULL,
    updated_at DATETIME(6)  NOT NULL,
    deleted_at DATETIME(6)  NULL
) ENGINE = InnoDB;
