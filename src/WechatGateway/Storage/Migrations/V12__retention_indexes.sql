-- Retention (Privacy/PersonalDataRetentionJob) blanks the bodies of old sends and invitations oldest first: these
-- indexes let each batch read only the rows past the cutoff instead of scanning the table.
ALTER TABLE outbound_send ADD KEY ix_outbound_send_created (created_at);
ALTER TABLE group_invitation ADD KEY ix_group_invitation_created (created_at);
