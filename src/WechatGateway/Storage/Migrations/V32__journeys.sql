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
