-- Replies authored by HQ: reusable templates and the auto-reply rules that pick one for a push.
-- reply is the JSON of a ReplyBody (Replies/ReplyBody.cs): its type and Liquid sources, validated at save time.
CREATE TABLE reply_template (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    name       VARCHAR(100) NOT NULL,
    reply      JSON         NOT NULL,
    created_at DATETIME(6)  NOT NULL,
    updated_at DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_reply_template_name (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- app_id NULL: the rule applies to every account. match: exact, contains, regex, event, default.
-- Exactly one of reply (inline) and template_id is set.
CREATE TABLE auto_reply (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    app_id       VARCHAR(64)  NULL,
    name         VARCHAR(100) NOT NULL,
    match_kind   VARCHAR(16)  NOT NULL,
    keywords     JSON         NOT NULL,
    event        VARCHAR(64)  NULL,
    event_key    VARCHAR(128) NULL,
    priority     INT          NOT NULL DEFAULT 0,
    enabled      TINYINT(1)   NOT NULL DEFAULT 1,
    valid_from   DATETIME(6)  NULL,
    valid_until  DATETIME(6)  NULL,
    reply        JSON         NULL,
    template_id  BIGINT UNSIGNED NULL,
    created_at   DATETIME(6)  NOT NULL,
    updated_at   DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    KEY ix_auto_reply_template (template_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One row per kind of configuration that instances hold in memory; every write bumps it in the same transaction,
-- and every instance reloads when it sees a version it has not loaded.
CREATE TABLE config_version (
    name    VARCHAR(64)     NOT NULL,
    version BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

INSERT INTO config_version (name, version) VALUES ('replies', 1);
