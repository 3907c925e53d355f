"""Web UI users: the Temporal UI, with sign-in (OIDC) on, passes the user's access token to
the codec endpoint. We accept it when it is signed by the identity provider's keys (JWKS),
unexpired, from the configured issuer and for the configured audience."""

from __future__ import annotations

from functools import lru_cache

import jwt

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


class OIDCVerifier:
    def __init__(self, jwks_url: str, issuer: str, audience: str) -> None:
        # PyJWKClient caches the key set and refetches when it meets an unknown key ID,
        # so the provider's key rotation needs no restart.
        self.jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=5)
        self.issuer = issuer
        self.audience = audience

    def subject(self, token: str) -> str:
        """The token's subject (user), or `jwt.InvalidTokenError` saying what is wrong."""
        try:
            key = self.jwks.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientError as err:
            raise jwt.InvalidTokenError(f"signing key not found: {err}") from err
        claims = jwt.decode(
            token,
            key.key,
            algorithms=ALGORITHMS,
            issuer=self.issuer or None,
            audience=self.audience or None,
            options={"require": ["exp", "sub"], "verify_aud": bool(self.audience)},
        )
        return str(claims["sub"])


@lru_cache(maxsize=4)
def verifier_for(jwks_url: str, issuer: str, audience: str) -> OIDCVerifier:
    return OIDCVerifier(jwks_url, issuer, audience)
