-- Issue 19: offline events with registration, a waitlist, QR tickets and check-in at the door.

CREATE TABLE store_event (
    id                    BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    store_id              BIGINT UNSIGNED NOT NULL,
    title                 VARCHAR(100)    NOT NULL,
    starts_at             DATETIME(6)     NOT NULL,
    ends_at               DATETIME(6)     NOT NULL,
    capacity              INT UNSIGNED    NOT NULL,
    points                INT UNSIGNED    NOT NULL DEFAULT 0,
    registration_deadline DATETIME(6)     NULL,
    -- The segment whose members may register (NULL: everyone).
    segment_id            BIGINT UNSIGNED NULL,
    -- Seats taken; changed only while the event row is locked, with the registrations that take and free them.
    registered            INT UNSIGNED    NOT NULL DEFAULT 0,
    -- The last queue position handed out: registrations and the waitlist are in this order.
    last_position         BIGINT UNSIGNED NOT NULL DEFAULT 0,
    created_at            DATETIME(6)     NOT NULL,
    created_by            VARCHAR(100)    NOT NULL,
    PRIMARY KEY (id),
    KEY ix_store_event_starts (starts_at),
    KEY ix_store_event_store (store_id, starts_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- A member's place at an event: registered (with a ticket), waitlisted, or cancelled. One row per member and event:
-- registering again after a cancellation reuses it, at the end of the queue.
CREATE TABLE event_registration (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    event_id      BIGINT UNSIGNED NOT NULL,
    member_id     BIGINT UNSIGNED NOT NULL,
    status        VARCHAR(16)     NOT NULL,
    position      BIGINT UNSIGNED NOT NULL,
    created_at    DATETIME(6)     NOT NULL,
    updated_at    DATETIME(6)     NOT NULL,
    -- The reminder before the event: when it was decided, and why nothing was sent when nothing was.
    reminded_at   DATETIME(6)     NULL,
    reminder_note VARCHAR(200)    NULL,
    PRIMARY KEY (id),
    UNIQUE KEY ux_event_registration_member (event_id, member_id),
    KEY ix_event_registration_queue (event_id, status, position),
    KEY ix_event_registration_member (member_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- A ticket is issued when a registration gets a seat and revoked when it is cancelled; its code is the id, a random
-- nonce and an HMAC of both (Events/EventTickets). Checked in at most once.
CREATE TABLE event_ticket (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    registration_id BIGINT UNSIGNED NOT NULL,
    event_id        BIGINT UNSIGNED NOT NULL,
    member_id       BIGINT UNSIGNED NOT NULL,
    nonce           VARCHAR(32)     NOT NULL,
    issued_at       DATETIME(6)     NOT NULL,
    revoked_at      DATETIME(6)     NULL,
    checked_in_at   DATETIME(6)     NULL,
    checked_in_by   VARCHAR(100)    NULL,
    awarded         BIGINT          NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    KEY ix_event_ticket_registration (registration_id),
    KEY ix_event_ticket_event (event_id, checked_in_at),
    KEY ix_event_ticket_member (member_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
