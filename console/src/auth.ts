// Sign-in with MSAL.js: authorization code + PKCE in a popup, tokens in memory only
// (cacheLocation memoryStorage: nothing an injected script could read from storage; a reload
// signs in again). MSAL refuses redirects with memory storage, hence the popup; its redirect
// URI is redirect.html, which hands the answer back to this window (redirect.ts).
import {
  BrowserCacheLocation,
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

export async function signInClient(config: SignInConfig): Promise<PublicClientApplication> {
  const client = new PublicClientApplication({
    auth: {
      clientId: config.clientId,
      authority: config.authority,
      knownAuthorities: config.knownAuthorities,
      redirectUri: new URL("redirect.html", consoleBase).href,
      OIDCOptions: { responseMode: "query", defaultScopes: ["openid", "profile"] },
    },
    cache: { cacheLocation: BrowserCacheLocation.MemoryStorage },
    system: { protocolMode: ProtocolMode.OIDC },
  });
  await client.initialize();
  return client;
}

/** Opens the sign-in popup (call from a click: browsers block other popups). */
export async function signIn(client: PublicClientApplication, config: SignInConfig): Promise<Session> {
  const result = await client.loginPopup({ scopes: config.scopes });
  const account = result.account;
  return {
    account,
    async token() {
      return (await client.acquireTokenSilent({ scopes: config.scopes, account })).accessToken;
    },
    async signOut() {
      await client.clearCache({ account });
    },
  };
}
