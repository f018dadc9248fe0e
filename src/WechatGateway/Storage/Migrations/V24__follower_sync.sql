-- Imports of an official account's existing followers (cgi-bin/user/get + user/info/batchget), one row per run.
-- running_app_id is the app_id while the run is running and NULL after: its unique key allows one running sync per
-- account. page_cursor is the next_openid the current page was fetched with and page_done how many of its OpenIDs are
-- done, both written in the transaction that imports a batch, so a restart resumes at the first batch not done.
CREATE TABLE follower_sync (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    app_id         VARCHAR(64)  NOT NULL,
    state          VARCHAR(16)  NOT NULL,
    running_app_id VARCHAR(64)  NULL,
    total          INT          NOT NULL DEFAULT 0,
    imported       INT          NOT NULL DEFAULT 0,
    updated        INT          NOT NULL DEFAULT 0,
    unchanged      INT          NOT NULL DEFAULT 0,
    unfollowed     INT          NOT NULL DEFAULT 0,
    failed         INT          NOT NULL DEFAULT 0,
    page_cursor    VARCHAR(128) NULL,
    page_done      INT          NOT NULL DEFAULT 0,
    pages          INT          NOT NULL DEFAULT 0,
    resume_at      DATETIME(6)  NULL,
    lease_owner    VARCHAR(64)  NULL,
    lease_until    DATETIME(6)  NULL,
    error          VARCHAR(500) NULL,
    requested_by   VARCHAR(100) NULL,
    created_at     DATETIME(6)  NOT NULL,
    updated_at     DATETIME(6)  NOT NULL,
    finished_at    DATETIME(6)  NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_follower_sync_running (running_app_id),
    KEY ix_follower_sync_app (app_id, id),
    KEY ix_follower_sync_state (state, resume_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The sync that last found this OpenID in WeChat's follower list: a follower the finished sync did not find no longer follows.
ALTER TABLE member_follow
    ADD COLUMN last_sync_id BIGINT UNSIGNED NULL;
