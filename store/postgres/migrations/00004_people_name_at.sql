-- A person's name and role are the latest a token gave, where "latest" is the token's
-- issue time (iat), not the moment an instance saw it: an instance holding an older
-- token must not overwrite a newer name. NULL: set by a token without iat, older than
-- any token with one.

-- +goose Up
ALTER TABLE people ADD COLUMN name_at timestamptz;

-- +goose Down
ALTER TABLE people DROP COLUMN name_at;
