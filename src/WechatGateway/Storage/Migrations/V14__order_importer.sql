-- Who imported an order, and whether it may credit only members of its own store (a store manager's import):
-- the importer's daily amount is summed by imported_by, and the matching job keeps to the store.
ALTER TABLE shop_order
    ADD COLUMN imported_by       VARCHAR(100) NULL,
    ADD COLUMN store_members_only TINYINT(1)  NOT NULL DEFAULT 0,
    ADD KEY ix_shop_order_imported_by (imported_by, created_at);
