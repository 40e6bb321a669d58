// Starts the Cloud Storage emulator of npm firebase-tools (its own code: the GCS JSON API under /storage/v1 and
// /upload/storage/v1) on 127.0.0.1:PORT, for the object-store tests.
//
// Why not `firebase emulators:start --only storage`: that command first starts the emulator's security-rules runtime,
// a Java jar it downloads from Google at first use, which cannot be fetched here (only the package registries are
// reachable). The rules apply only to the Firebase client SDK's endpoints (/v0); the GCS JSON API that
// Google.Cloud.Storage.V1 speaks goes through the emulator's admin storage layer, which never consults them. So this
// starts the same StorageEmulator and express app the command would, without the rules runtime.
//
// Usage: node gcs-emulator.js FIREBASE_TOOLS_DIR PORT DATA_DIR
"use strict";
const path = require("path");
const [, , tools, port, data] = process.argv;
if (!tools || !port || !data) {
  console.error("usage: node gcs-emulator.js FIREBASE_TOOLS_DIR PORT DATA_DIR");
  process.exit(2);
}
// The emulator stages uploads under os.tmpdir(): one directory per server, removed with it.
process.env.TMPDIR = data;
const lib = path.join(tools, "lib", "emulator");
const { StorageEmulator } = require(path.join(lib, "storage"));
const { createApp } = require(path.join(lib, "storage", "server"));
const { EmulatorRegistry } = require(path.join(lib, "registry"));

(async () => {
  const emulator = new StorageEmulator({ projectId: "demo-hive", host: "127.0.0.1", port: Number(port), auto_download: false });
  EmulatorRegistry.set("storage", emulator);
  const app = await createApp("demo-hive", emulator);
  const server = app.listen(Number(port), "127.0.0.1", () => console.log(`gcs emulator listening on 127.0.0.1:${port}`));
  // Node closes an idle keep-alive connection after 5 s, and a client sending its next request at that instant gets
  // "response ended prematurely". Real GCS keeps connections far longer than the clients' pools do: so does this server.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  server.on("error", (e) => {
    console.error(`gcs emulator: ${e.message}`);
    process.exit(1);
  });
})().catch((e) => {
  console.error(`gcs emulator: ${e.stack || e}`);
  process.exit(1);
});
