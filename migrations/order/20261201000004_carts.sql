-- One cart per signed-in user. The `carts` row is the cart's lock: every change takes it first,
-- so the line limit holds under concurrent requests. Lines keep the order they were added in.
CREATE TABLE carts (
    user_id    BINARY(16)  NOT NULL PRIMARY KEY,
    updated_at DATETIME(6) NOT NULL
) ENGINE = InnoDB;

CREATE TABLE cart_items (
    user_id    BINARY(16)  NOT NULL,
    product_id BINARY(16)  NOT NULL,
    quantity   INT         NOT NULL,
    added_at   DATETIME(6) NOT NULL,
    PRIMARY KEY (user_id, product_id),
    KEY ix_cart_items_added (user_id, added_at),
    CONSTRAINT ck_cart_items_quantity CHECK (quantity BETWEEN 1 AND 1000)
) ENGINE = InnoDB;

-- Whether an order was placed by checking out a cart: its confirmation then takes the units
-- bought out of that cart, in the same transaction.
ALTER TABLE orders ADD COLUMN from_cart BOOLEAN NOT NULL DEFAULT FALSE;
