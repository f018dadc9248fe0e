-- The push spool (Webhook/PushSpool.cs): a push answered "success" while its passive reply could not be rendered
-- (MySQL was away: it was spooled, or its member could not be read) has reply_deferred = 1, and the processing stage
-- sends that reply through the queue instead. Set by a push's first delivery only, like reply_xml: a retry keeps both.
ALTER TABLE wechat_push
    ADD COLUMN reply_deferred TINYINT(1) NOT NULL DEFAULT 0;
