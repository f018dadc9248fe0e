-- Campaigns (Campaigns/README.md): ops speak first, to a segment, through the send queue.
--   status: scheduled (waiting for its time: an "at", the next cron occurrence, or now) -> running -> completed;
--           paused and resumed at will; cancelled for good. A recurring campaign goes back to scheduled after each run.
--   message: the ReplyBody the channel sends (Liquid in its text fields), rendered per member.
CREATE TABLE campaign (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    app_id          VARCHAR(64)     NOT NULL,
    name            VARCHAR(200)    NOT NULL,
    segment_id      BIGINT UNSIGNED NOT NULL,
    channel         VARCHAR(32)     NOT NULL,
    message         JSON            NOT NULL,
    schedule_at     DATETIME(6)     NULL,
    cron            VARCHAR(100)    NULL,
    time_zone       VARCHAR(64)     NULL,
    rate_per_second INT             NOT NULL,
    quiet_from      TIME            NULL,
    quiet_to        TIME            NULL,
    status          VARCHAR(16)     NOT NULL,
    next_run_at     DATETIME(6)     NULL,
    created_by      VARCHAR(100)    NOT NULL,
    created_at      DATETIME(6)     NOT NULL,
    updated_at      DATETIME(6)     NOT NULL,
    PRIMARY KEY (id),
    KEY ix_campaign_due (status, next_run_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One run of a campaign over its audience, frozen when the run starts.
--   occurrence: the scheduled time the run is for (unique per campaign: a cron occurrence runs once, whatever the workers).
--   freeze_cursor: the last member_id copied from the segment; frozen_at set once the whole audience is copied.
--   send_cursor: the last member_id whose outcome (queued or skipped) is decided, in member_id order; decided counts them.
--   budget_at: the time up to which the campaign's rate is spent (a token bucket kept in the row the worker locks).
CREATE TABLE campaign_run (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    campaign_id   BIGINT UNSIGNED NOT NULL,
    occurrence    DATETIME(6)     NOT NULL,
    status        VARCHAR(16)     NOT NULL,
    freeze_cursor BIGINT UNSIGNED NOT NULL DEFAULT 0,
    frozen_at     DATETIME(6)     NULL,
    targeted      INT             NOT NULL DEFAULT 0,
    send_cursor   BIGINT UNSIGNED NOT NULL DEFAULT 0,
    decided       INT             NOT NULL DEFAULT 0,
    budget_at     DATETIME(6)     NULL,
    started_at    DATETIME(6)     NOT NULL,
    finished_at   DATETIME(6)     NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_campaign_run_occurrence (campaign_id, occurrence),
    KEY ix_campaign_run_status (status)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The frozen audience of a run: one row per member, decided once (outcome queued with the send's source key, or
-- skipped with its reason). The send's own row in outbound_send, unique by source_key, is the at-most-once key.
--   open_id: the member's OpenID on the campaign's account; NULL when the member has none there (skipped: no-identity).
CREATE TABLE campaign_recipient (
    run_id     BIGINT UNSIGNED NOT NULL,
    member_id  BIGINT UNSIGNED NOT NULL,
    open_id    VARCHAR(128)    NULL,
    outcome    VARCHAR(16)     NULL,
    reason     VARCHAR(32)     NULL,
    source_key VARCHAR(191)    NULL,
    PRIMARY KEY (run_id, member_id),
    KEY ix_campaign_recipient_reason (run_id, outcome, reason),
    KEY ix_campaign_recipient_member (member_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
