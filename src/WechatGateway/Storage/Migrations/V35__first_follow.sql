-- A follower's first follow of an account through a push (the processing stage, MemberPushHandler): what a welcome
-- journey on follow is triggered by. One row per OpenID ever (the unique key), so a retried push, a re-follow after an
-- unfollow and a follower brought in by the import (which writes member_follow but never this table) start nothing.
-- stage_move_id is the member's last member_stage_move when the follow was processed: a later move means the member
-- moved on, and the journey's later steps are skipped.
CREATE TABLE first_follow (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    app_id        VARCHAR(64)     NOT NULL,
    open_id       VARCHAR(128)    NOT NULL,
    member_id     BIGINT UNSIGNED NOT NULL,
    followed_at   DATETIME(6)     NOT NULL,
    stage_move_id BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_first_follow_open_id (app_id, open_id),
    KEY ix_first_follow_member (member_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
