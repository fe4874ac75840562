// Sign-in with MSAL.js: authorization code + PKCE in a popup, tokens in memory only
// (cacheLocation memoryStorage: nothing an injected script could read from storage; a reload
// signs in again). MSAL refuses redirects with memory storage, hence the popup; its redirect
// URI is redirect.html, which hands the answer back to this window (redirect.ts).
// offline_access gets a refresh token (Entra gives SPAs 24-hour ones), with which MSAL renews
// an expiring access token silently; sign-out ends the session at the issuer in a popup too.
import {
  AuthError,
  BrowserCacheLocation,
  CacheLookupPolicy,
  InteractionRequiredAuthError,
  ProtocolMode,
  PublicClientApplication,
  type AccountInfo,
} from "@azure/msal-browser";

/** What GET config.json?tenant= answers: public facts about where this tenant signs in. */
export interface SignInConfig {
  tenant: string;
  clientId: string;
  authority: string;
  knownAuthorities: string[];
  scopes: string[];
}

export interface Session {
  account: AccountInfo;
  token(): Promise<string>;
  signOut(): Promise<void>;
}

/** The console's own URL (its directory). */
export const consoleBase = new URL("./", document.baseURI).href;

/** Where the sign-in and sign-out popups return (registered with the identity provider). */
const redirectUri = new URL("redirect.html", consoleBase).href;

/** When only the user can help: MSAL says so, or the refresh token was refused (expired after
 * its 24 hours, revoked, replayed: ``invalid_grant``). */
const needsInteraction = (error: unknown) =>
  error instanceof InteractionRequiredAuthError ||
  (error instanceof AuthError && error.errorCode === "invalid_grant");

export async function signInClient(config: SignInConfig): Promise<PublicClientApplication> {
  const client = new PublicClientApplication({
    auth: {
      clientId: config.clientId,
      authority: config.authority,
      knownAuthorities: config.knownAuthorities,
      redirectUri,
      OIDCOptions: { responseMode: "query", defaultScopes: ["openid", "profile", "offline_access"] },
    },
    cache: { cacheLocation: BrowserCacheLocation.MemoryStorage },
    system: { protocolMode: ProtocolMode.OIDC },
  });
  await client.initialize();
  return client;
}

/** Opens the sign-in popup (call from a click: browsers block other popups). */
export async function signIn(client: PublicClientApplication, config: SignInConfig): Promise<Session> {
  let { account } = await client.loginPopup({ scopes: config.scopes });
  const scopes = config.scopes;
  return {
    get account() {
      return account;
    },
    async token() {
      try {
        // The cached access token, else a refresh token redemption; never MSAL's hidden iframe
        // (third-party cookies are blocked in browsers, and the issuer forbids framing).
        const policy = CacheLookupPolicy.AccessTokenAndRefreshToken;
        return (await client.acquireTokenSilent({ scopes, account, cacheLookupPolicy: policy })).accessToken;
      } catch (error) {
        if (!needsInteraction(error)) throw error;
        const result = await client.acquireTokenPopup({ scopes, account });
        account = result.account;
        return result.accessToken;
      }
    },
    async signOut() {
      // Forgets the tab's tokens, then the issuer's end-session endpoint revokes the refresh
      // tokens and returns to redirect.html, which closes the popup.
      await client.logoutPopup({ account, postLogoutRedirectUri: redirectUri });
    },
  };
}
