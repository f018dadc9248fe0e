-- A member promoted from an event's waitlist is told her seat is hers (Events/EventNoticeJob): when she was promoted,
-- when the notice was decided, and why nothing was sent when nothing was. The notice is decided by the worker, off
-- the cancellation's transaction, because choosing the channel reads the customer-service window in Redis.
ALTER TABLE event_registration
    ADD COLUMN promoted_at        DATETIME(6)  NULL,
    ADD COLUMN promotion_noted_at DATETIME(6)  NULL,
    ADD COLUMN promotion_note     VARCHAR(200) NULL,
    ADD KEY ix_event_registration_promotion (promotion_noted_at, promoted_at);
