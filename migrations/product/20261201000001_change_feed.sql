-- Every replica follows the catalogue's changes by their time (the read cache's invalidation):
-- a range scan on this index, never a scan of the table.
ALTER TABLE products ADD KEY ix_products_updated (updated_at);
