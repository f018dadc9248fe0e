-- Community groups (Groups/README in the main README): WeChat groups run store by store, the live codes that steer
-- followers into them, and every invitation and join.

-- A WeChat group. member_count is the seats taken: members invited (a seat is held for them) or joined, plus what
-- staff set from the real group. A group is usable while active, member_count < capacity and qr_expires_at > now;
-- the seat is taken by a conditional UPDATE (member_count < capacity), so racing steers never overfill it.
CREATE TABLE community_group (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    store_id      BIGINT UNSIGNED NOT NULL,
    name          VARCHAR(100)  NOT NULL,
    tags          VARCHAR(1000) NOT NULL DEFAULT '[]',
    capacity      INT           NOT NULL,
    member_count  INT           NOT NULL DEFAULT 0,
    qr_image_url  VARCHAR(1000) NULL,
    qr_media_id   VARCHAR(128)  NULL,
    qr_expires_at DATETIME(6)   NOT NULL,
    owner         VARCHAR(100)  NULL,
    intro         VARCHAR(1000) NULL,
    active        TINYINT(1)    NOT NULL DEFAULT 1,
    created_at    DATETIME(6)   NOT NULL,
    updated_at    DATETIME(6)   NOT NULL,
    PRIMARY KEY (id),
    -- The groups of the stores found near a member (steering's second lookup).
    KEY ix_community_group_store (store_id, active, qr_expires_at),
    -- Alerts: QR codes about to expire.
    KEY ix_community_group_expiry (active, qr_expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Steering looks for stores in a box around the member (lat range, then lng); without this index every
-- recommendation scans every store (bench/groups).
ALTER TABLE store ADD KEY ix_store_geo (active, lat, lng);

-- A permanent official-account QR code (qrcode/create, scene group:CODE) bound to a pool of groups.
CREATE TABLE group_live_code (
    id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    app_id           VARCHAR(64)   NOT NULL,
    code             VARCHAR(58)   NOT NULL,
    name             VARCHAR(100)  NOT NULL,
    store_id         BIGINT UNSIGNED NULL,
    fallback_message VARCHAR(1000) NULL,
    ticket           VARCHAR(200)  NOT NULL,
    qr_url           VARCHAR(500)  NOT NULL,
    active           TINYINT(1)    NOT NULL DEFAULT 1,
    created_at       DATETIME(6)   NOT NULL,
    updated_at       DATETIME(6)   NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_group_live_code (app_id, code),
    KEY ix_group_live_code_store (store_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- A live code's pool, filled in position order: the first usable group gets the next follower.
CREATE TABLE group_live_code_pool (
    live_code_id BIGINT UNSIGNED NOT NULL,
    position     INT             NOT NULL,
    group_id     BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (live_code_id, position),
    UNIQUE KEY ux_group_live_code_pool_group (live_code_id, group_id),
    KEY ix_group_live_code_pool_group (group_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- A member's seat in a group: taken by an invitation (invited_at) or a join (joined_at, by the member or staff).
CREATE TABLE group_member (
    group_id   BIGINT UNSIGNED NOT NULL,
    member_id  BIGINT UNSIGNED NOT NULL,
    invited_at DATETIME(6)     NULL,
    joined_at  DATETIME(6)     NULL,
    joined_by  VARCHAR(100)    NULL,
    PRIMARY KEY (group_id, member_id),
    KEY ix_group_member_member (member_id, joined_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Every invitation steering made (or the fallback message when nothing was usable), once per cause (source_key).
--   status: queued (its messages are in the send outbox, source keys SOURCE:1, SOURCE:2), fallback (no usable group:
--           the fallback message queued instead). messages: the bodies queued, as a JSON array.
CREATE TABLE group_invitation (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    source_key   VARCHAR(128)  NOT NULL,
    member_id    BIGINT UNSIGNED NOT NULL,
    app_id       VARCHAR(64)   NOT NULL,
    open_id      VARCHAR(128)  NOT NULL,
    group_id     BIGINT UNSIGNED NULL,
    store_id     BIGINT UNSIGNED NULL,
    live_code_id BIGINT UNSIGNED NULL,
    `trigger`    VARCHAR(16)   NOT NULL,
    reason       VARCHAR(300)  NOT NULL,
    distance_km  DOUBLE        NULL,
    status       VARCHAR(16)   NOT NULL,
    messages     TEXT          NOT NULL,
    created_at   DATETIME(6)   NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_group_invitation_source (source_key),
    KEY ix_group_invitation_member (member_id, `trigger`, created_at),
    KEY ix_group_invitation_group (group_id),
    KEY ix_group_invitation_live_code (live_code_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- A member's latest known location (LOCATION event or mini-program coordinates), for steering.
CREATE TABLE member_location (
    member_id BIGINT UNSIGNED NOT NULL,
    lat       DECIMAL(9, 6) NOT NULL,
    lng       DECIMAL(9, 6) NOT NULL,
    source    VARCHAR(32)   NOT NULL,
    at        DATETIME(6)   NOT NULL,
    PRIMARY KEY (member_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
