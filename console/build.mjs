// Bundles src/ into dist/ (index.html, app.js, app.css; redirect.html, redirect.js): everything from npm, nothing from a CDN.
//
// MSAL.js refuses an authority that is not https. Entra ID always is; the development issuer
// runs on the developer's own machine over plain http. The plugin below lets MSAL accept an
// http authority on a loopback host only (127.0.0.1, localhost: traffic that never leaves the
// machine, as RFC 8252 allows for loopback redirects) and fails the build when MSAL's check no
// longer reads as expected, so a changed library is looked at, not silently patched.
import { build } from "esbuild";
import { copyFile, mkdir, readFile, rm } from "node:fs/promises";

const HTTPS_CHECK = 'components.Protocol.toLowerCase() !== "https:"';
const LOOPBACK_HTTP =
  HTTPS_CHECK +
  ' && !(components.Protocol.toLowerCase() === "http:" &&' +
  " /^(127\\.0\\.0\\.1|localhost)(:\\d+)?$/.test(components.HostNameAndPort))";

const loopbackAuthority = {
  name: "loopback-authority",
  setup(b) {
    b.onLoad({ filter: /msal-common[\\/]dist-browser[\\/]url[\\/]UrlString\.mjs$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      if (source.split(HTTPS_CHECK).length !== 2) {
        throw new Error(`MSAL's https check changed in ${args.path}: review build.mjs`);
      }
      return { contents: source.replace(HTTPS_CHECK, LOOPBACK_HTTP), loader: "js" };
    });
  },
};

await rm("dist", { recursive: true, force: true });
await mkdir("dist");
const result = await build({
  entryPoints: { app: "src/main.tsx", redirect: "src/redirect.ts" },
  bundle: true,
  minify: true,
  format: "esm",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  target: "es2022",
  outdir: "dist",
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "external",
  metafile: true,
  plugins: [loopbackAuthority],
  logLevel: "warning",
});
const patched = Object.keys(result.metafile.inputs).some((p) => p.endsWith("UrlString.mjs"));
if (!patched) throw new Error("MSAL's UrlString.mjs was not bundled: review build.mjs");
await copyFile("src/index.html", "dist/index.html");
await copyFile("src/redirect.html", "dist/redirect.html");
await copyFile("src/app.css", "dist/app.css");
