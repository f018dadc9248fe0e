-- The outbound send queue (Push/README.md). MySQL is the outbox and the delivery record; Redis Streams carry the work.
--   status: pending (in MySQL only: new, waiting for its retry time, or waiting for Redis) -> queued (an entry is in
--           the Redis stream; lease_until set while a dispatcher sends it) -> sent | failed (final: WeChat refused for
--           good, or the customer-service rules forbid it) | dead (out of attempts; replayable from the dead letters).
--   source_key: the caller's idempotency key (e.g. push:123:reply): the same send added twice is one row.
--   fell_back: a customer-service send refused for the 48-hour window (45015) that is sent as its fallback template message.
CREATE TABLE outbound_send (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    app_id          VARCHAR(64)     NOT NULL,
    to_user         VARCHAR(128)    NOT NULL,
    member_id       BIGINT UNSIGNED NULL,
    kind            VARCHAR(16)     NOT NULL,
    body            JSON            NOT NULL,
    fallback_body   JSON            NULL,
    fell_back       TINYINT(1)      NOT NULL DEFAULT 0,
    source_key      VARCHAR(191)    NOT NULL,
    status          VARCHAR(16)     NOT NULL DEFAULT 'pending',
    attempts        INT             NOT NULL DEFAULT 0,
    last_errcode    INT             NULL,
    last_error      VARCHAR(1000)   NULL,
    next_attempt_at DATETIME(6)     NULL,
    lease_until     DATETIME(6)     NULL,
    claim_token     CHAR(32)        NULL,
    created_at      DATETIME(6)     NOT NULL,
    queued_at       DATETIME(6)     NULL,
    sent_at         DATETIME(6)     NULL,
    wechat_msgid    BIGINT          NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_outbound_send_source_key (source_key),
    KEY ix_outbound_send_status (status, next_attempt_at),
    KEY ix_outbound_send_to_user (app_id, to_user)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
