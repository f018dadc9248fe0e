-- One-time subscribe consents (一次性订阅): each "accept" of a template in a popup (subscribe_msg_popup_event) or in
-- the mini-program's wx.requestSubscribeMessage lets the account send that template once. A send spends one consent
-- (spent_by = the send's source key, unique, so one send never spends two); a "reject" in the message settings
-- (subscribe_msg_change_event) withdraws the unspent ones.
--   source_key: where the consent came from (push:ID:TEMPLATE, mp:REQUEST:TEMPLATE), so a retried push or request grants once.
CREATE TABLE subscribe_consent (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    app_id      VARCHAR(64)     NOT NULL,
    open_id     VARCHAR(128)    NOT NULL,
    member_id   BIGINT UNSIGNED NOT NULL,
    template_id VARCHAR(128)    NOT NULL,
    source_key  VARCHAR(191)    NOT NULL,
    granted_at  DATETIME(6)     NOT NULL,
    spent_by    VARCHAR(191)    NULL,
    spent_at    DATETIME(6)     NULL,
    withdrawn_at DATETIME(6)    NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_subscribe_consent_source (source_key),
    UNIQUE KEY ux_subscribe_consent_spent (spent_by),
    KEY ix_subscribe_consent_open (app_id, open_id, template_id, spent_by),
    KEY ix_subscribe_consent_member (member_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
