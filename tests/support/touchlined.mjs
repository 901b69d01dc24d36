// Starts a touchlined on a fresh data directory and a port the kernel picks, for the JavaScript
// tests (tests/openapi, tests/console): resolves once it says where it listens.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function startTouchlined(binary, operatorToken) {
  const dir = mkdtempSync(join(tmpdir(), "touchline-js-"));
  const server = spawn(binary, ["--data", join(dir, "data"), "--port", "0", "--operator-token", operatorToken], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const stop = () => {
    server.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  };
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error("touchlined did not start in 60 s:\n" + seen)), 60000);
    server.stderr.on("data", (chunk) => {
      seen += chunk;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve({ base: `http://127.0.0.1:${m[1]}`, stop });
      }
    });
    server.on("exit", (code) => reject(new Error(`touchlined exited (${code}):\n${seen}`)));
  });
}
