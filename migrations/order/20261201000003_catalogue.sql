-- The order service's copy of the catalogue, fed by product.created, product.updated and
-- product.deleted: what carts show and check, without ever calling the product service.
-- `version` is the product's own (1 when created): an event older than the row changes nothing,
-- in whatever order events arrive. A deleted product keeps its row with `sold = FALSE`, and a
-- late created or updated event cannot bring it back. `stock_hint` is the stock of the latest
-- product event, for display only: the reservation stays the authority.
CREATE TABLE catalogue (
    product_id  BINARY(16)   NOT NULL PRIMARY KEY,
    name        VARCHAR(200) NOT NULL,
    price_cents BIGINT       NOT NULL,
    currency    CHAR(3)      NOT NULL,
    stock_hint  BIGINT       NOT NULL,
    sold        BOOLEAN      NOT NULL,
    version     BIGINT       NOT NULL,
    updated_at  DATETIME(6)  NOT NULL
) ENGINE = InnoDB;
