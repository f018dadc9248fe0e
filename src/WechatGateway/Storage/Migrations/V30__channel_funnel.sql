-- The channel funnel (Funnel/ChannelFunnel): scan → follow → member → group → purchase per live code and store.

-- A member's place in one live code's funnel: entered at the member's first scan of the code (a follow through it or a
-- SCAN of it), on that scan's UTC day; the steps reached since are flags that only ever go from 0 to 1.
--   followed:   the member followed the account through this code (a subscribe carrying its scene), not before it
--   registered: the member bound a phone or logged in to a mini-program (whenever)
--   joined:     the member joined a community group (whenever)
--   purchased:  an order is matched to the member (whenever): the first purchase
-- store_id is the code's store at the scan (0: a code of no store), kept so a later move of the code rewrites no history.
CREATE TABLE funnel_entry (
    member_id    BIGINT UNSIGNED NOT NULL,
    live_code_id BIGINT UNSIGNED NOT NULL,
    app_id       VARCHAR(64)     NOT NULL,
    store_id     BIGINT UNSIGNED NOT NULL,
    day          DATE            NOT NULL,
    scanned_at   DATETIME(6)     NOT NULL,
    followed     TINYINT(1)      NOT NULL DEFAULT 0,
    registered   TINYINT(1)      NOT NULL DEFAULT 0,
    joined       TINYINT(1)      NOT NULL DEFAULT 0,
    purchased    TINYINT(1)      NOT NULL DEFAULT 0,
    PRIMARY KEY (member_id, live_code_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The summary the dashboard reads: per live code and scan day, how many entries reached each step. Kept equal to
-- SUM over funnel_entry by the same transactions that change the entries (ChannelFunnel), so a funnel over any range
-- reads at most one row per code and day, never the members: GET /api/admin/dashboard/funnel at 1M members is
-- bench/funnel.sh.
CREATE TABLE funnel_day (
    live_code_id BIGINT UNSIGNED NOT NULL,
    day          DATE            NOT NULL,
    store_id     BIGINT UNSIGNED NOT NULL,
    scans        BIGINT          NOT NULL DEFAULT 0,
    follows      BIGINT          NOT NULL DEFAULT 0,
    members      BIGINT          NOT NULL DEFAULT 0,
    group_joins  BIGINT          NOT NULL DEFAULT 0,
    purchases    BIGINT          NOT NULL DEFAULT 0,
    -- Clustered by day: the whole brand's funnel reads the range's rows in one sweep; a code's and a store's (a store
    -- manager's stores) read their own days through the keys below.
    PRIMARY KEY (day, live_code_id, store_id),
    KEY ix_funnel_day_code (live_code_id, day),
    KEY ix_funnel_day_store (store_id, day)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
