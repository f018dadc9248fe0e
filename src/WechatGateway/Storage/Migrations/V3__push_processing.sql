-- The push path in two stages (Processing/README.md): the webhook records a push and answers; the processing stage
-- runs every handler behind the answer.
--   status: recorded (waiting for the handlers) -> processed; failed (parked after too many attempts, replayable);
--           unparsed (WeChat signed it but a field did not fit: kept raw for operators, never processed).
--   claimed_until: a worker's lease on a recorded push, and after a failed attempt the time of the next one.
--   handlers_done: the handlers that have already committed their work for this push (comma-separated names),
--                  so a push retried after one handler failed does not run the others twice.
ALTER TABLE wechat_push
    MODIFY msg_id VARCHAR(128) NULL,
    ADD COLUMN attempts      INT           NOT NULL DEFAULT 0,
    ADD COLUMN handlers_done VARCHAR(1000) NOT NULL DEFAULT '',
    ADD COLUMN last_error    VARCHAR(2000) NULL,
    ADD COLUMN problem       VARCHAR(500)  NULL;

UPDATE wechat_push SET status = 'recorded' WHERE status = 'processing';
