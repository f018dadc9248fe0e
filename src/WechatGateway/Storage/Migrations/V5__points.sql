-- Loyalty: rules, the points ledger with its dated lots, check-ins, rewards, redemptions, expiry reminders, orders.

-- Ops-configured earning rules. match_key: the campaign code of a keyword rule, the QR scene of a scan rule
-- (NULL = any scene). points: per award, or per whole yuan for order rules.
CREATE TABLE points_rule (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    name         VARCHAR(100) NOT NULL,
    `trigger`    VARCHAR(16)  NOT NULL,
    points       INT          NOT NULL,
    app_id       VARCHAR(64)  NULL,
    match_key    VARCHAR(128) NULL,
    daily_cap    INT          NULL,
    streak_days  INT          NULL,
    streak_bonus INT          NULL,
    valid_from   DATETIME(6)  NULL,
    valid_to     DATETIME(6)  NULL,
    enabled      TINYINT(1)   NOT NULL,
    created_at   DATETIME(6)  NOT NULL,
    updated_at   DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    KEY ix_points_rule_trigger (`trigger`, enabled)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- A member's balance. Changed only together with a points_ledger row, in the same transaction, and a debit only
-- by a conditional update (balance >= n), so it never goes negative.
CREATE TABLE points_account (
    member_id  BIGINT UNSIGNED NOT NULL,
    balance    BIGINT       NOT NULL,
    lifetime   BIGINT       NOT NULL,
    tier       VARCHAR(32)  NULL,
    updated_at DATETIME(6)  NOT NULL,
    PRIMARY KEY (member_id),
    CONSTRAINT ck_points_account_balance CHECK (balance >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Every change of a balance. owner_member_id is the member the idempotency key was issued for and never changes;
-- member_id follows merges. A credit is also a dated lot: remaining is what is left of it to spend or expire.
CREATE TABLE points_ledger (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    member_id       BIGINT UNSIGNED NOT NULL,
    owner_member_id BIGINT UNSIGNED NOT NULL,
    idem_key        VARCHAR(160) NOT NULL,
    delta           BIGINT       NOT NULL,
    reason          VARCHAR(200) NOT NULL,
    rule_id         BIGINT UNSIGNED NULL,
    source          VARCHAR(160) NULL,
    balance_after   BIGINT       NOT NULL,
    created_at      DATETIME(6)  NOT NULL,
    expires_at      DATETIME(6)  NULL,
    remaining       BIGINT       NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_points_ledger_key (owner_member_id, idem_key),
    KEY ix_points_ledger_member (member_id, id),
    KEY ix_points_ledger_lots (remaining, expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Awards of a capped rule per member and local day: the cap is a conditional update of this counter.
CREATE TABLE points_rule_usage (
    rule_id   BIGINT UNSIGNED NOT NULL,
    member_id BIGINT UNSIGNED NOT NULL,
    day       DATE         NOT NULL,
    awards    INT          NOT NULL,
    PRIMARY KEY (rule_id, member_id, day)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One check-in per member and local day: the primary key is the guard.
CREATE TABLE points_checkin (
    member_id BIGINT UNSIGNED NOT NULL,
    day       DATE         NOT NULL,
    streak    INT          NOT NULL,
    awarded   BIGINT       NOT NULL,
    at        DATETIME(6)  NOT NULL,
    PRIMARY KEY (member_id, day)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The reward catalog. stock NULL = unlimited; it only ever decreases by a conditional update (stock > 0).
CREATE TABLE reward (
    id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    name             VARCHAR(100) NOT NULL,
    description      VARCHAR(500) NULL,
    points           INT          NOT NULL,
    stock            INT          NULL,
    per_member_limit INT          NULL,
    valid_from       DATETIME(6)  NULL,
    valid_to         DATETIME(6)  NULL,
    enabled          TINYINT(1)   NOT NULL,
    created_at       DATETIME(6)  NOT NULL,
    updated_at       DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT ck_reward_stock CHECK (stock IS NULL OR stock >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- A redemption, idempotent by the front-end's requestId per member.
CREATE TABLE points_redemption (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    member_id       BIGINT UNSIGNED NOT NULL,
    owner_member_id BIGINT UNSIGNED NOT NULL,
    request_id      VARCHAR(64)  NOT NULL,
    reward_id       BIGINT UNSIGNED NOT NULL,
    points          INT          NOT NULL,
    ledger_id       BIGINT UNSIGNED NOT NULL,
    created_at      DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_points_redemption_request (owner_member_id, request_id),
    KEY ix_points_redemption_member (member_id, reward_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Reminders due before a lot expires, one per lot. Recorded only: nothing sends them until the push queue exists,
-- so sent_at stays NULL until then.
CREATE TABLE points_expiry_reminder (
    ledger_id  BIGINT UNSIGNED NOT NULL,
    member_id  BIGINT UNSIGNED NOT NULL,
    points     BIGINT       NOT NULL,
    expires_at DATETIME(6)  NOT NULL,
    due_at     DATETIME(6)  NOT NULL,
    created_at DATETIME(6)  NOT NULL,
    sent_at    DATETIME(6)  NULL,
    PRIMARY KEY (ledger_id),
    KEY ix_points_expiry_reminder_due (sent_at, due_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Purchases imported from POS or e-commerce, idempotent by order number. member_id stays NULL (pending) until a
-- member with the order's OpenID, UnionID or phone exists; the match job then awards and counts it.
CREATE TABLE shop_order (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    order_no   VARCHAR(64)  NOT NULL,
    app_id     VARCHAR(64)  NULL,
    open_id    VARCHAR(128) NULL,
    union_id   VARCHAR(64)  NULL,
    phone      VARCHAR(32)  NULL,
    amount     DECIMAL(12, 2) NOT NULL,
    store_id   BIGINT UNSIGNED NULL,
    paid_at    DATETIME(6)  NOT NULL,
    member_id  BIGINT UNSIGNED NULL,
    awarded    BIGINT       NOT NULL DEFAULT 0,
    created_at DATETIME(6)  NOT NULL,
    matched_at DATETIME(6)  NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_shop_order_no (order_no),
    KEY ix_shop_order_member (member_id),
    KEY ix_shop_order_pending (matched_at, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
