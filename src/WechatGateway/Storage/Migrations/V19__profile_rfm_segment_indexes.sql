-- Issue 18: RFM follows matched orders, and the indexes segment filters use (bench/segments.sh).

-- When the RFM job last scored this order's member (Profile/RfmJob): a matched order without it is waiting to be
-- scored. This replaces the watermark V17 put on rfm_scale (scored_to), which two imports committing out of order
-- could step past.
ALTER TABLE shop_order
    ADD COLUMN rfm_at DATETIME(6) NULL,
    ADD KEY ix_shop_order_rfm (rfm_at, matched_at);
ALTER TABLE rfm_scale DROP COLUMN scored_to;

-- Segment filters on a member's own columns (Segments/SegmentSql), each leading with the column so a selective value
-- is read from the index instead of the whole table.
ALTER TABLE member
    ADD KEY ix_member_home_store (home_store_id),
    ADD KEY ix_member_city (city),
    ADD KEY ix_member_first_channel (first_channel),
    ADD KEY ix_member_interaction (last_interaction_at);
ALTER TABLE points_account
    ADD KEY ix_points_account_balance (balance),
    ADD KEY ix_points_account_lifetime (lifetime);
