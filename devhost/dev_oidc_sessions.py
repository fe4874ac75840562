"""The development issuer's sign-in sessions: the tokens a browser sign-in yields, their renewal
with refresh tokens (RFC 6749 §6) and their end at sign-out.

As Entra ID's v2 token endpoint answers a single-page app: a refresh token is issued when the
``offline_access`` scope was granted; it is opaque, random and good for ONE redemption, which
answers new access and id tokens and a new refresh token (rotation); it is bound to the tenant
endpoint, client and scopes of the sign-in (a redemption may ask for fewer scopes, never more);
and every refresh token of a sign-in ends ``SESSION_TTL_S`` after that sign-in however often it
was rotated (Entra's 24 hours for SPAs), after which the user signs in again. A refresh token
presented a second time means two parties hold it (OAuth 2.0 Security BCP §4.14.2): the whole
sign-in's tokens are revoked. Sign-out (``end``) revokes them too; the id token's opaque
``login_hint`` claim names the sign-in, and MSAL sends it back as the end-session request's
``logout_hint``. Everything lives in memory: a restart signs everyone in again.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devhost.dev_oidc import DevIssuer

SESSION_TTL_S = 24 * 3600.0
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})


@dataclass(frozen=True)
class SignedIn:
    """One sign-in: who, at which tenant endpoint, for which client and scopes, until when."""

    handle: str
    tenant_id: str
    client_id: str
    username: str
    roles: tuple[str, ...]
    scopes: tuple[str, ...]
    expires: float


class Sessions:
    """Live sign-ins and their refresh tokens; ``issuer`` mints the JWTs."""

    def __init__(self, issuer: DevIssuer) -> None:
        self.issuer = issuer
        self._live: dict[str, SignedIn] = {}  # unredeemed refresh token -> its sign-in
        self._spent: dict[str, SignedIn] = {}  # redeemed refresh token -> its sign-in

    def start(
        self,
        *,
        tenant_id: str,
        client_id: str,
        username: str,
        roles: tuple[str, ...],
        scopes: tuple[str, ...],
    ) -> SignedIn:
        """A new sign-in (a code was redeemed), with its own ``login_hint`` handle."""
        self._expire()
        return SignedIn(
            handle=secrets.token_urlsafe(24),
            tenant_id=tenant_id,
            client_id=client_id,
            username=username,
            roles=roles,
            scopes=scopes,
            expires=time.monotonic() + SESSION_TTL_S,
        )

    def tokens(
        self, session: SignedIn, scopes: tuple[str, ...], nonce: str = ""
    ) -> dict[str, object]:
        """The token response for ``scopes`` (of ``session``'s): access and id tokens, and a
        fresh refresh token when ``offline_access`` was granted at sign-in."""
        api_scopes = [s for s in scopes if s not in OIDC_SCOPES]
        # ``api://app/access_as_user`` is scope ``access_as_user`` of resource ``api://app``.
        resource = api_scopes[0].rsplit("/", 1)[0] if api_scopes else session.client_id
        names = [s.rsplit("/", 1)[-1] for s in api_scopes]
        lifetime = self.issuer.token_lifetime_s
        access = self.issuer.mint(
            tenant_id=session.tenant_id,
            username=session.username,
            audience=resource,
            roles=list(session.roles),
            lifetime_s=lifetime,
            # ``uti``: Entra's token id, so that two tokens minted in one second differ.
            extra={
                "scp": " ".join(names),
                "azp": session.client_id,
                "name": session.username,
                "uti": secrets.token_urlsafe(16),
            },
        )
        claims = {"name": session.username, "login_hint": session.handle}
        identity = self.issuer.mint(
            tenant_id=session.tenant_id,
            username=session.username,
            audience=session.client_id,
            roles=list(session.roles),
            lifetime_s=lifetime,
            extra={**claims, "nonce": nonce} if nonce else claims,
        )
        answer: dict[str, object] = {
            "token_type": "Bearer",
            "access_token": access,
            "id_token": identity,
            "expires_in": lifetime,
            "scope": " ".join(api_scopes or ["openid"]),
        }
        if "offline_access" in session.scopes:
            refresh = secrets.token_urlsafe(48)
            self._live[refresh] = session
            answer["refresh_token"] = refresh
            answer["refresh_token_expires_in"] = max(0, int(session.expires - time.monotonic()))
        return answer

    def refresh(self, tenant_id: str, form: dict[str, str]) -> dict[str, object] | str:
        """``grant_type=refresh_token`` at ``tenant_id``'s endpoint: the token response, or why
        the refresh token is refused (``invalid_grant``)."""
        redeemed = self.redeem(
            tenant_id=tenant_id,
            client_id=form.get("client_id", ""),
            token=form.get("refresh_token", ""),
            asked=tuple(form.get("scope", "").split()),
        )
        if isinstance(redeemed, str):
            return redeemed
        session, scopes = redeemed
        return self.tokens(session, scopes)

    def redeem(
        self, *, tenant_id: str, client_id: str, token: str, asked: tuple[str, ...]
    ) -> tuple[SignedIn, tuple[str, ...]] | str:
        """Spend ``token`` once: its sign-in and the scopes to answer, or why it is refused."""
        session = self._live.pop(token, None)
        if session is None:
            reused = self._spent.get(token)
            if reused is not None:
                self.end(reused.handle)
                return "the refresh token was already redeemed: its sign-in is revoked"
            return "unknown, expired or revoked refresh token"
        self._spent[token] = session
        scopes = asked or session.scopes
        problems = (
            (session.expires < time.monotonic(), "the refresh token has expired"),
            (client_id != session.client_id, "the refresh token was issued to another client"),
            (tenant_id != session.tenant_id, "the refresh token was issued by another tenant"),
            (not set(scopes) <= set(session.scopes), "scope asks more than the sign-in granted"),
        )
        for failed, reason in problems:
            if failed:
                return reason
        return session, scopes

    def find(self, handle: str) -> SignedIn | None:
        """The live sign-in ``handle`` (a ``login_hint``) names, if it still has tokens."""
        found = (s for s in (*self._live.values(), *self._spent.values()) if s.handle == handle)
        return next(found, None)

    def end(self, handle: str) -> None:
        """Revoke every refresh token of sign-in ``handle`` (sign-out, or a replayed token)."""
        for store in (self._live, self._spent):
            for token in [t for t, s in store.items() if s.handle == handle]:
                del store[token]

    def _expire(self) -> None:
        now = time.monotonic()
        for store in (self._live, self._spent):
            for token in [t for t, s in store.items() if s.expires < now]:
                del store[token]
