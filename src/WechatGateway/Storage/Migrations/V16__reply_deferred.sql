-- A push of a Passive account whose passive reply is due but was not given in the HTTP response (the push was spooled
-- while MySQL was away, or its request stopped waiting for its processing): reply_deferred = 1, and the processing
-- stage sends that reply through the queue instead. A push answered with a passive reply has reply_xml; one for which
-- the request found no passive reply has neither, and gets none later.
ALTER TABLE wechat_push
    ADD COLUMN reply_deferred TINYINT(1) NOT NULL DEFAULT 0;
