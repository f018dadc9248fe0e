-- The dashboard counts follows and points of the last days: these let it read those days, not the whole tables.
-- (outbound_send's created_at index comes with V12.)
ALTER TABLE member_timeline ADD KEY ix_member_timeline_kind_at (kind, at);
ALTER TABLE points_ledger ADD KEY ix_points_ledger_created (created_at);
