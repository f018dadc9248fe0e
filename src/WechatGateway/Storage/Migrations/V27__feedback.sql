-- Issue 19: the after-purchase survey (the third handshake) and the member's answer.

-- How long after a purchase its survey is sent, per official account and store: app_id '' and store_id 0 mean every
-- account and every store. The most specific row wins, a store's before an account's (Feedback/FeedbackSurveys);
-- with no row, Feedback:SurveyAfterHours. survey_after_seconds NULL turns the survey off there.
CREATE TABLE feedback_setting (
    app_id               VARCHAR(64)     NOT NULL DEFAULT '',
    store_id             BIGINT UNSIGNED NOT NULL DEFAULT 0,
    survey_after_seconds INT             NULL,
    updated_at           DATETIME(6)     NOT NULL,
    updated_by           VARCHAR(100)    NOT NULL,
    PRIMARY KEY (app_id, store_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One survey per order, scheduled in the transaction that matched the order to its member; the survey job decides
-- the channel when it is due and records it, or why nothing was sent (reason).
CREATE TABLE feedback_survey (
    order_id   BIGINT UNSIGNED NOT NULL,
    member_id  BIGINT UNSIGNED NOT NULL,
    store_id   BIGINT UNSIGNED NULL,
    due_at     DATETIME(6)     NOT NULL,
    status     VARCHAR(16)     NOT NULL,
    channel    VARCHAR(16)     NULL,
    app_id     VARCHAR(64)     NULL,
    send_id    BIGINT UNSIGNED NULL,
    reason     VARCHAR(200)    NULL,
    created_at DATETIME(6)     NOT NULL,
    decided_at DATETIME(6)     NULL,
    PRIMARY KEY (order_id),
    KEY ix_feedback_survey_due (status, due_at),
    KEY ix_feedback_survey_member (member_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The member's answer: one per order (the unique key is the guard against a second answer).
CREATE TABLE order_feedback (
    id         BIGINT UNSIGNED  NOT NULL AUTO_INCREMENT,
    order_id   BIGINT UNSIGNED  NOT NULL,
    member_id  BIGINT UNSIGNED  NOT NULL,
    store_id   BIGINT UNSIGNED  NULL,
    rating     TINYINT UNSIGNED NOT NULL,
    comment    VARCHAR(1000)    NULL,
    awarded    BIGINT           NOT NULL DEFAULT 0,
    alerted    TINYINT(1)       NOT NULL DEFAULT 0,
    created_at DATETIME(6)      NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_order_feedback_order (order_id),
    -- The admin list by store and date, and the dashboard's average per store, read this index alone.
    KEY ix_order_feedback_store (store_id, created_at, rating),
    KEY ix_order_feedback_created (created_at),
    KEY ix_order_feedback_member (member_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
