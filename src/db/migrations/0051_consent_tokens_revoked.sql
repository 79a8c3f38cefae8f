-- RFC 6749 §4.1.2: when an authorization code is used twice, the authorization server should revoke
-- the tokens already issued from it. oidc-provider revokes the grant's stored tokens (refresh
-- tokens, opaque tokens), but the data API's access tokens are signed JWTs that nothing stores: the
-- consent they name now records from when on its tokens are refused (the adapter's revokeByGrantId
-- sets it), and the bearer check compares it with the token's `iat`.
ALTER TABLE end_user_consents ADD COLUMN tokens_revoked_before timestamptz;
COMMENT ON COLUMN end_user_consents.tokens_revoked_before IS 'Access tokens of this consent issued before this moment are refused (their grant was revoked: a replayed code or refresh token).';
