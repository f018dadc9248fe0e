-- An official account's tags on WeChat (cgi-bin/tags/get), as last read or created.
CREATE TABLE wechat_tag (
    app_id     VARCHAR(64) NOT NULL,
    tag_id     INT         NOT NULL,
    name       VARCHAR(64) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (app_id, tag_id),
    KEY ix_wechat_tag_name (app_id, name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The member tags (member_tag.tag) ops chose to mirror on an account: a WeChat tag of the same name (tag_id), kept in
-- step with the members who carry the tag, so a conditional menu or a mass send by tag reaches our segment.
CREATE TABLE wechat_tag_mirror (
    app_id     VARCHAR(64)  NOT NULL,
    tag        VARCHAR(64)  NOT NULL,
    tag_id     INT          NOT NULL,
    created_by VARCHAR(100) NULL,
    created_at DATETIME(6)  NOT NULL,
    synced_at  DATETIME(6)  NULL,
    PRIMARY KEY (app_id, tag),
    UNIQUE KEY ux_wechat_tag_mirror_tag (app_id, tag_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Which followers carry a mirrored tag on WeChat, as far as the gateway knows (it tagged them, or read the tag in):
-- the mirror job tags on WeChat who has the member tag and is not here, and untags who is here without it.
CREATE TABLE wechat_tag_follower (
    app_id  VARCHAR(64)  NOT NULL,
    tag_id  INT          NOT NULL,
    open_id VARCHAR(128) NOT NULL,
    PRIMARY KEY (app_id, tag_id, open_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
