-- One member per person. Identities (appId + OpenID) point at it; a UnionID, once known, joins identities
-- of several official accounts and mini-programs into the same member.
CREATE TABLE member (
    id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    union_id            VARCHAR(64)  NULL,
    nickname            VARCHAR(100) NULL,
    avatar_url          VARCHAR(500) NULL,
    gender              TINYINT      NOT NULL DEFAULT 0,
    city                VARCHAR(100) NULL,
    phone               VARCHAR(32)  NULL,
    phone_bound_at      DATETIME(6)  NULL,
    home_store_id       BIGINT UNSIGNED NULL,
    stage               VARCHAR(16)  NOT NULL,
    order_count         INT          NOT NULL DEFAULT 0,
    first_channel       VARCHAR(128) NULL,
    created_at          DATETIME(6)  NOT NULL,
    last_interaction_at DATETIME(6)  NOT NULL,
    merged_into         BIGINT UNSIGNED NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_member_union (union_id),
    UNIQUE KEY ux_member_phone (phone),
    KEY ix_member_nickname (nickname),
    KEY ix_member_stage_interaction (stage, last_interaction_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE member_identity (
    app_id           VARCHAR(64)  NOT NULL,
    open_id          VARCHAR(128) NOT NULL,
    member_id        BIGINT UNSIGNED NOT NULL,
    union_id         VARCHAR(64)  NULL,
    account_type     VARCHAR(20)  NOT NULL,
    created_at       DATETIME(6)  NOT NULL,
    -- When the background job last asked WeChat (cgi-bin/user/info) for this follower's UnionID and profile.
    union_checked_at DATETIME(6)  NULL,
    PRIMARY KEY (app_id, open_id),
    KEY ix_member_identity_member (member_id),
    KEY ix_member_identity_union (union_id),
    KEY ix_member_identity_unchecked (account_type, union_checked_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Follow state per official account.
CREATE TABLE member_follow (
    app_id          VARCHAR(64)  NOT NULL,
    open_id         VARCHAR(128) NOT NULL,
    member_id       BIGINT UNSIGNED NOT NULL,
    subscribed      TINYINT(1)   NOT NULL,
    subscribed_at   DATETIME(6)  NULL,
    unsubscribed_at DATETIME(6)  NULL,
    resubscribes    INT          NOT NULL DEFAULT 0,
    first_scene     VARCHAR(128) NULL,
    PRIMARY KEY (app_id, open_id),
    KEY ix_member_follow_member (member_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Channel attribution: the QR scene of each follow and scan. push_id makes WeChat's retries harmless.
CREATE TABLE member_attribution (
    id        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    member_id BIGINT UNSIGNED NOT NULL,
    app_id    VARCHAR(64)  NOT NULL,
    open_id   VARCHAR(128) NOT NULL,
    kind      VARCHAR(16)  NOT NULL,
    scene     VARCHAR(128) NOT NULL,
    at        DATETIME(6)  NOT NULL,
    push_id   BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_member_attribution_push (push_id),
    KEY ix_member_attribution_member (member_id, at),
    KEY ix_member_attribution_scene (scene, at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE member_tag (
    member_id BIGINT UNSIGNED NOT NULL,
    tag       VARCHAR(64) NOT NULL,
    PRIMARY KEY (member_id, tag),
    KEY ix_member_tag_tag (tag)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- What happened to a member, newest last; every capability appends here. source_key keeps it once per cause.
CREATE TABLE member_timeline (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    member_id  BIGINT UNSIGNED NOT NULL,
    at         DATETIME(6)  NOT NULL,
    kind       VARCHAR(32)  NOT NULL,
    summary    VARCHAR(500) NOT NULL,
    app_id     VARCHAR(64)  NULL,
    source_key VARCHAR(128) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_member_timeline_source (source_key),
    KEY ix_member_timeline_member (member_id, at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Every merge of two members, for audit and support.
CREATE TABLE member_merge (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    from_member BIGINT UNSIGNED NOT NULL,
    into_member BIGINT UNSIGNED NOT NULL,
    union_id    VARCHAR(64)  NOT NULL,
    reason      VARCHAR(100) NOT NULL,
    at          DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    KEY ix_member_merge_from (from_member),
    KEY ix_member_merge_into (into_member)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
