// The sign-in popup's redirect page: hands the authorization response to the console window
// (MSAL's redirect bridge, over a BroadcastChannel of this origin) and closes the popup.
import { broadcastResponseToMainFrame } from "@azure/msal-browser/redirect-bridge";

broadcastResponseToMainFrame().catch((error: Error) => {
  document.getElementById("status")!.textContent = `Sign-in failed: ${error.message}`;
});
