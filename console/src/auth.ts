// Sign-in with MSAL.js: authorization code + PKCE, tokens in memory only (cacheLocation
// memoryStorage: a reload signs in again; nothing an injected script could read from storage).
import {
  BrowserCacheLocation,
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

/** The console's own URL (its directory): the redirect URI registered for the client. */
export const consoleBase = new URL("./", document.baseURI).href;

export async function signIn(config: SignInConfig): Promise<Session | null> {
  const client = new PublicClientApplication({
    auth: {
      clientId: config.clientId,
      authority: config.authority,
      knownAuthorities: config.knownAuthorities,
      redirectUri: consoleBase,
      postLogoutRedirectUri: consoleBase,
      // The query keeps the fragment for the console's own routes.
      OIDCOptions: { responseMode: "query", defaultScopes: ["openid", "profile"] },
    },
    cache: { cacheLocation: BrowserCacheLocation.MemoryStorage },
    system: { protocolMode: ProtocolMode.OIDC },
  });
  await client.initialize();
  const result = await client.handleRedirectPromise();
  const account = result?.account ?? client.getAllAccounts()[0];
  const request = { scopes: config.scopes, redirectStartPage: location.href };
  if (!account) {
    await client.loginRedirect(request);
    return null;
  }
  return {
    account,
    async token() {
      try {
        return (await client.acquireTokenSilent({ ...request, account })).accessToken;
      } catch (error) {
        if (error instanceof InteractionRequiredAuthError) await client.loginRedirect(request);
        throw error;
      }
    },
    signOut: () => client.logoutRedirect({ account }),
  };
}
