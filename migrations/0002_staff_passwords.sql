-- Local sign-in at the desk: an Argon2id hash per staff member (PHC string). NULL = cannot
-- sign in at this desk yet (the server sign-in comes with sync).
ALTER TABLE staff ADD COLUMN password_hash TEXT;
