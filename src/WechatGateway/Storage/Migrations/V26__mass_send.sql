-- Mass sends (群发) of an official account: to every follower, to a mirrored tag, or to OpenID lists. source_key is the
-- caller's idempotency key (an admin request's requestId, a campaign run), so a repeated request plans nothing twice.
CREATE TABLE mass_send (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    app_id          VARCHAR(64)  NOT NULL,
    source_key      VARCHAR(128) NOT NULL,
    target          VARCHAR(16)  NOT NULL,
    tag_id          INT          NULL,
    message_json    TEXT         NOT NULL,
    state           VARCHAR(16)  NOT NULL,
    addressed       INT          NOT NULL DEFAULT 0,
    skipped_monthly INT          NOT NULL DEFAULT 0,
    created_by      VARCHAR(100) NULL,
    created_at      DATETIME(6)  NOT NULL,
    local_day       DATE         NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_mass_send_source (app_id, source_key),
    KEY ix_mass_send_day (app_id, local_day)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One WeChat call of a mass send (sendall, or send to at most 10,000 OpenIDs). client_msg_id goes with every attempt,
-- so an attempt after a crash or a timeout is answered 45065 with the first attempt's msg_id and sends nothing twice.
-- The report (MASSSENDJOBFINISH) or a poll (message/mass/get) fills WeChat's side.
CREATE TABLE mass_send_call (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    mass_send_id    BIGINT UNSIGNED NOT NULL,
    seq             INT          NOT NULL,
    client_msg_id   VARCHAR(64)  NOT NULL,
    open_ids        MEDIUMTEXT   NULL,
    recipients      INT          NOT NULL,
    state           VARCHAR(16)  NOT NULL,
    attempts        INT          NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6)  NOT NULL,
    msg_id          BIGINT       NULL,
    errcode         INT          NULL,
    sent_at         DATETIME(6)  NULL,
    wechat_status   VARCHAR(32)  NULL,
    total_count     INT          NULL,
    filter_count    INT          NULL,
    sent_count      INT          NULL,
    error_count     INT          NULL,
    reported_at     DATETIME(6)  NULL,
    polled_at       DATETIME(6)  NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_mass_send_call_seq (mass_send_id, seq),
    UNIQUE KEY ux_mass_send_call_client (client_msg_id),
    KEY ix_mass_send_call_due (state, next_attempt_at),
    KEY ix_mass_send_call_msg (msg_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Mass sends each follower of a service account was sent this month (Beijing time, yyyymm): WeChat delivers at most
-- four, so a fifth is skipped before sending, with its reason.
CREATE TABLE mass_send_receipt (
    app_id   VARCHAR(64)  NOT NULL,
    open_id  VARCHAR(128) NOT NULL,
    month    INT          NOT NULL,
    received INT          NOT NULL,
    PRIMARY KEY (app_id, open_id, month)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
