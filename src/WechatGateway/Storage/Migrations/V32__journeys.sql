-- Lifecycle stage moves as facts: one row per change of member.stage, written in the transaction that changes it
-- (MemberStore.RefreshStageAsync and the dormancy sweep), so what a move triggers (a journey) reads a fact that
-- cannot disagree with the member's stage, and each move has an id to key what it triggers once.
CREATE TABLE member_stage_move (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    member_id   BIGINT UNSIGNED NOT NULL,
    from_stage  VARCHAR(16)     NOT NULL,
    to_stage    VARCHAR(16)     NOT NULL,
    moved_at    DATETIME(6)     NOT NULL,
    PRIMARY KEY (id),
    KEY ix_member_stage_move_member (member_id, id),
    KEY ix_member_stage_move_to (to_stage, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Lifecycle journeys: a campaign for one member, triggered by a move to a stage. Each step is sent after its delay
-- from the move; move_cursor is how far the scheduler has read member_stage_move (it re-reads a margin behind it,
-- harmlessly, for moves whose transactions committed late); first_move: moves before the journey existed are not its.
CREATE TABLE journey (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    app_id        VARCHAR(64)     NOT NULL,
    name          VARCHAR(200)    NOT NULL,
    trigger_stage VARCHAR(16)     NOT NULL,
    first_move    BIGINT UNSIGNED NOT NULL,
    move_cursor   BIGINT UNSIGNED NOT NULL,
    created_by    VARCHAR(128)    NOT NULL,
    created_at    DATETIME(6)     NOT NULL,
    PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE journey_step (
    journey_id    BIGINT UNSIGNED NOT NULL,
    step_no       INT             NOT NULL,
    after_seconds BIGINT          NOT NULL,
    channel       VARCHAR(32)     NOT NULL,
    message       JSON            NOT NULL,
    PRIMARY KEY (journey_id, step_no)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One row per (journey step, stage move): the unique key makes a step go at most once per move whatever the retries;
-- the outbox row it adds is keyed journey:ID. status: pending, then queued (in the outbox) or skipped with its reason.
CREATE TABLE journey_send (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    journey_id  BIGINT UNSIGNED NOT NULL,
    step_no     INT             NOT NULL,
    move_id     BIGINT UNSIGNED NOT NULL,
    member_id   BIGINT UNSIGNED NOT NULL,
    due_at      DATETIME(6)     NOT NULL,
    status      VARCHAR(16)     NOT NULL,
    reason      VARCHAR(32)     NULL,
    decided_at  DATETIME(6)     NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_journey_send_step_move (journey_id, step_no, move_id),
    KEY ix_journey_send_due (status, due_at),
    KEY ix_journey_send_member (member_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
