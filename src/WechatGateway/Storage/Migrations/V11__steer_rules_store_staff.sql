-- Issue 10, finishing community groups.

-- What an auto-reply rule does when it matches: 'reply' sends its reply; 'steer' steers the member to a group and sends
-- the invitation (Groups/GroupPushHandler), the rule's reply, when it has one, as the invitation's intro text.
ALTER TABLE auto_reply
    ADD COLUMN action VARCHAR(16) NOT NULL DEFAULT 'reply' AFTER match_kind;

-- The store's staff member, who gets the store's group alerts (Groups/GroupAlertJob) as customer-service messages:
-- an OpenID of one of the gateway's official accounts. Both set or both NULL.
ALTER TABLE store
    ADD COLUMN staff_app_id  VARCHAR(64)  NULL AFTER active,
    ADD COLUMN staff_open_id VARCHAR(128) NULL AFTER staff_app_id;

-- Steering orders stores from memory (Stores/StoreLocations), refreshed when config_version('stores') changes; every
-- write to store bumps it. The box search on (active, lat, lng) that V9 added is no longer used.
ALTER TABLE store DROP KEY ix_store_geo;
INSERT INTO config_version (name, version) VALUES ('stores', FLOOR(UNIX_TIMESTAMP(NOW(6)) * 1000000))
    ON DUPLICATE KEY UPDATE version = version + 1;
