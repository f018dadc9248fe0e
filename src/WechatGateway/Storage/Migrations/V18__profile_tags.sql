-- Issue 18, the consumer profile: what tags members, and where a member is. (RFM scoring, which V17's comments place
-- in Segments/, lives in Profile/RfmScores.)

-- Who set a tag: rule (an auto-reply or points rule), scan (a live code), manual (ops), or imported (written without a
-- source, as WeChat tag sync does); and when it was first set.
ALTER TABLE member_tag
    ADD COLUMN source    VARCHAR(16) NOT NULL DEFAULT 'imported',
    ADD COLUMN tagged_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);

-- Tags a rule or live code puts on the member it matches: a JSON array of strings.
ALTER TABLE auto_reply ADD COLUMN tags VARCHAR(1000) NOT NULL DEFAULT '[]';
ALTER TABLE points_rule ADD COLUMN tags VARCHAR(1000) NOT NULL DEFAULT '[]';
ALTER TABLE group_live_code ADD COLUMN tags VARCHAR(1000) NOT NULL DEFAULT '[]';

-- A store's district; a member's city and district are its nearest store's, set from its LOCATION.
ALTER TABLE store ADD COLUMN district VARCHAR(100) NULL AFTER city;
ALTER TABLE member ADD COLUMN district VARCHAR(100) NULL AFTER city;
