-- A brand's physical stores. Never deleted: members, groups and orders point at them, so "delete" deactivates,
-- and an inactive store can no longer be chosen as a home store.
CREATE TABLE store (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    name       VARCHAR(100)  NOT NULL,
    city       VARCHAR(100)  NOT NULL,
    lat        DECIMAL(9, 6) NOT NULL,
    lng        DECIMAL(9, 6) NOT NULL,
    active     TINYINT(1)    NOT NULL DEFAULT 1,
    created_at DATETIME(6)   NOT NULL,
    updated_at DATETIME(6)   NOT NULL,
    PRIMARY KEY (id),
    KEY ix_store_active_city (active, city)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The store an admin request concerned (a store's own routes, or the home store of the member read or changed),
-- so a store manager's audit view shows its stores' rows only. NULL for requests about no one store.
ALTER TABLE admin_audit
    ADD COLUMN store_id BIGINT UNSIGNED NULL AFTER remote_ip,
    ADD KEY ix_admin_audit_store (store_id, id);

-- When a member's personal data was erased on request (DELETE /api/admin/members/{id}/personal-data).
ALTER TABLE member
    ADD COLUMN personal_data_erased_at DATETIME(6) NULL;
