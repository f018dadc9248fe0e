-- Issue 18: segments (saved member filters) and the consumer profile they filter on.

-- A saved filter of members (Segments/SegmentFilter, stored as its JSON). A deleted segment is kept (deleted_at) so a
-- campaign that named it still reads what it was; it is no longer listed nor offered for new campaigns.
CREATE TABLE segment (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    name       VARCHAR(100)  NOT NULL,
    filter     TEXT          NOT NULL,
    created_by VARCHAR(100)  NOT NULL,
    created_at DATETIME(6)   NOT NULL,
    updated_at DATETIME(6)   NOT NULL,
    deleted_at DATETIME(6)   NULL,
    PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The tags a segment may name: declared by auto-reply rules, points rules and live codes when they are saved, and by
-- manual tagging. A tag some member holds (member_tag, which WeChat tag sync writes too) is known as well.
CREATE TABLE tag_catalogue (
    tag        VARCHAR(64)  NOT NULL,
    source     VARCHAR(16)  NOT NULL,
    created_at DATETIME(6)  NOT NULL,
    PRIMARY KEY (tag)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- A member's RFM from its matched orders: the raw figures, and each scored 1-5 against the scale (rfm_scale) of the
-- members who have ordered. Written by the order matching job as orders arrive and by the nightly job (recency ages).
CREATE TABLE member_rfm (
    member_id     BIGINT UNSIGNED NOT NULL,
    last_order_at DATETIME(6)    NOT NULL,
    orders        INT            NOT NULL,
    amount        DECIMAL(14, 2) NOT NULL,
    r             TINYINT        NOT NULL,
    f             TINYINT        NOT NULL,
    m             TINYINT        NOT NULL,
    scored_at     DATETIME(6)    NOT NULL,
    PRIMARY KEY (member_id),
    KEY ix_member_rfm_scores (r, f, m)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The cut points of the scores, from the distribution of the members who have ordered (Segments/RfmScores): four
-- cuts per figure, the edges of its quintiles; a figure beyond k cuts scores k+1 (more orders, more spent, fewer days
-- since the last order score higher). One row (id 1), written with defaults (Segments/RfmScores) by the first scoring and replaced by the nightly job.
CREATE TABLE rfm_scale (
    id          TINYINT       NOT NULL,
    r_cuts      VARCHAR(200)  NOT NULL,
    f_cuts      VARCHAR(200)  NOT NULL,
    m_cuts      VARCHAR(200)  NOT NULL,
    members     INT           NOT NULL,
    computed_at DATETIME(6)   NULL,
    -- Orders matched up to here (matched_at) have been scored: the job rescores the members of orders matched since.
    scored_to   DATETIME(6)   NULL,
    PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
