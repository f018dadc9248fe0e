-- Every push WeChat delivers, recorded before it is answered.
-- dedup_hash = SHA-256 of the push's deduplication key: WeChat retries a push 3 times,
-- and the unique key makes the retry find the first delivery instead of acting again.
CREATE TABLE wechat_push (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    app_id        VARCHAR(64)  NOT NULL,
    dedup_hash    BINARY(32)   NOT NULL,
    dedup_key     VARCHAR(1024) NOT NULL,
    open_id       VARCHAR(128) NOT NULL,
    msg_type      VARCHAR(32)  NOT NULL,
    event         VARCHAR(64)  NULL,
    msg_id        BIGINT       NULL,
    create_time   BIGINT       NOT NULL,
    security_mode VARCHAR(16)  NOT NULL,
    raw_xml       MEDIUMTEXT   NOT NULL,
    received_at   DATETIME(6)  NOT NULL,
    status        VARCHAR(16)  NOT NULL,
    reply_xml     MEDIUMTEXT   NULL,
    processed_at  DATETIME(6)  NULL,
    -- A delivery that is processing the push holds it until then; a retry after that takes over (the first died).
    claimed_until DATETIME(6)  NULL,
    deliveries    INT          NOT NULL DEFAULT 1,
    PRIMARY KEY (id),
    UNIQUE KEY ux_wechat_push_dedup (app_id, dedup_hash),
    KEY ix_wechat_push_open_id (app_id, open_id, received_at),
    KEY ix_wechat_push_status (status, received_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Admin keys created through the API; only a SHA-256 of the key is kept.
CREATE TABLE admin_api_key (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    name        VARCHAR(100) NOT NULL,
    key_hash    BINARY(32)   NOT NULL,
    key_prefix  VARCHAR(12)  NOT NULL,
    role        VARCHAR(20)  NOT NULL,
    store_ids   VARCHAR(1000) NOT NULL DEFAULT '',
    created_at  DATETIME(6)  NOT NULL,
    created_by  VARCHAR(100) NOT NULL,
    revoked_at  DATETIME(6)  NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_admin_api_key_hash (key_hash)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Every admin write: recorded as 'pending' before the write runs and completed with its status after,
-- so no write happens unaudited.
CREATE TABLE admin_audit (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    at           DATETIME(6)  NOT NULL,
    actor        VARCHAR(100) NOT NULL,
    role         VARCHAR(20)  NOT NULL,
    method       VARCHAR(10)  NOT NULL,
    path         VARCHAR(500) NOT NULL,
    body         MEDIUMTEXT   NULL,
    status_code  INT          NULL,
    remote_ip    VARCHAR(64)  NULL,
    completed_at DATETIME(6)  NULL,
    PRIMARY KEY (id),
    KEY ix_admin_audit_at (at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
