-- Evidence files (佐证材料), content-addressed: the same bytes are stored once, under their SHA-256.
-- The event log holds only {name, sha256} references; the bytes live here, outside the log. A file's
-- hash is its integrity check: an event naming it says exactly which bytes were meant.

CREATE TABLE evidence_files (
    sha256     text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size       bigint NOT NULL,
    content    bytea NOT NULL,
    stored_at  timestamptz NOT NULL
);

-- Who uploaded which bytes under which name and type: an uploader may always read its own uploads.
CREATE TABLE evidence_uploads (
    sha256        text NOT NULL REFERENCES evidence_files (sha256),
    username      text NOT NULL,
    name          text NOT NULL,
    content_type  text NOT NULL,
    uploaded_at   timestamptz NOT NULL,
    PRIMARY KEY (sha256, username, name)
);
CREATE INDEX evidence_uploads_username ON evidence_uploads (username);

-- Which tasks (or meetings) name a file as evidence: whoever may read one of them may read the file.
-- Written when the naming command runs; a reference is honoured only if the object's own history
-- names the file (coordination/files.py), so a command that failed after writing it grants nothing.
CREATE TABLE evidence_references (
    sha256        text NOT NULL REFERENCES evidence_files (sha256),
    aggregate_id  uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('task', 'meeting')),
    PRIMARY KEY (sha256, aggregate_id)
);
