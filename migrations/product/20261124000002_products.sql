-- The catalogue. `version` grows with every change (stock included) and is the ETag.
CREATE TABLE products (
    id          BINARY(16)   NOT NULL PRIMARY KEY,
    sku         VARCHAR(64)  NOT NULL,
    name        VARCHAR(200) NOT NULL,
    description TEXT         NOT NULL,
    price_cents BIGINT       NOT NULL,
    currency    CHAR(3)      NOT NULL,
    stock       BIGINT       NOT NULL,
    category    VARCHAR(64)  NOT NULL,
    version     BIGINT       NOT NULL,
    created_at  DATETIME(6)  NOT NULL,
    updated_at  DATETIME(6)  NOT NULL,
    deleted_at  DATETIME(6)  NULL,
    CONSTRAINT uq_products_sku UNIQUE (sku),
    CONSTRAINT ck_products_stock CHECK (stock >= 0),
    CONSTRAINT ck_products_price CHECK (price_cents >= 0),
    KEY ix_products_category_price (category, price_cents, id),
    KEY ix_products_price (price_cents, id),
    FULLTEXT KEY ft_products_text (name, description)
) ENGINE = InnoDB;

-- What each order took, line by line, so a cancellation gives back exactly that, once.
CREATE TABLE reservations (
    order_id         BINARY(16)  NOT NULL,
    product_id       BINARY(16)  NOT NULL,
    quantity         BIGINT      NOT NULL,
    unit_price_cents BIGINT      NOT NULL,
    reserved_at      DATETIME(6) NOT NULL,
    released_at      DATETIME(6) NULL,
    PRIMARY KEY (order_id, product_id)
) ENGINE = InnoDB;

-- The one decision per order: reserved, rejected, or cancelled before any reservation. A second
-- order.created for the same order finds it and changes nothing.
CREATE TABLE order_decisions (
    order_id   BINARY(16)  NOT NULL PRIMARY KEY,
    decision   VARCHAR(16) NOT NULL,
    decided_at DATETIME(6) NOT NULL,
    CONSTRAINT ck_order_decisions CHECK (decision IN ('reserved', 'rejected', 'cancelled'))
) ENGINE = InnoDB;
