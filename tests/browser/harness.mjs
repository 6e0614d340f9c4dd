// The browser-test harness: a real Chromium (Debian's, driven by playwright-core) against the
// real stack. A scenario is a Node module run by tests/browser_runner.py (pytest), which passes
// its parameters as JSON in PINNED_SCENARIO_PARAMS and fails the test with this process's
// output when it exits non-zero.
//
//   import { scenario, expect } from "./harness.mjs";
//   await scenario("my-flow", async ({ page, params, shot, step }) => {
//     await step("open the start page", async () => { await page.goto(params.baseUrl); });
//     await shot("start");                              // test-output/browser/my-flow/01-start.png
//     expect(await page.title(), "a title").toContain("Pinned");
//   });
//
// Each step is logged with its duration; on failure the page is screenshotted as
// `failure.png` and its HTML saved beside it, so the test output shows what the browser saw.

import { chromium } from "playwright-core";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const CHROMIUM = process.env.PINNED_CHROMIUM || "/usr/bin/chromium";
// A test tool's own browser download cannot work here: Debian's chromium, headless.
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
];
const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
export const OUTPUT_ROOT = process.env.PINNED_TEST_OUTPUT || join(ROOT, "test-output");

export class ExpectationFailed extends Error {}

/** Tiny assertions that say what was expected of what. */
export function expect(actual, what = "value") {
  const fail = (message) => {
    throw new ExpectationFailed(`${what}: ${message}`);
  };
  return {
    toBe(expected) {
      if (actual !== expected) fail(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    },
    toContain(part) {
      if (!String(actual).includes(part)) fail(`expected to contain ${JSON.stringify(part)}, got ${JSON.stringify(String(actual).slice(0, 500))}`);
    },
    notToContain(part) {
      if (String(actual).includes(part)) fail(`expected not to contain ${JSON.stringify(part)}`);
    },
    toBeTruthy() {
      if (!actual) fail(`expected something, got ${JSON.stringify(actual)}`);
    },
  };
}

/** The public API as integration code calls it: `params.gatewayUrl` and `params.apiKey`, an
 * Idempotency-Key per method and path (so a scenario's retry replays); the answer's JSON. */
export async function publicApi(params, method, path, body) {
  const response = await fetch(`${params.gatewayUrl}/api/public/v1${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${params.apiKey}`,
      "Content-Type": "application/json",
      "Idempotency-Key": `browser-${params.marker}-${method}-${path}`,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** Poll `probe` until it returns something truthy; fail after `timeoutMs` with `what`. */
export async function eventually(probe, what, { timeoutMs = 15000, intervalMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await new Promise((done) => setTimeout(done, intervalMs));
  }
  throw new ExpectationFailed(`${what}: not true within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** Run `body` with a fresh browser page; screenshots go to test-output/browser/<name>/. */
export async function scenario(name, body) {
  const params = JSON.parse(process.env.PINNED_SCENARIO_PARAMS || "{}");
  const outputDir = join(OUTPUT_ROOT, "browser", name);
  rmSync(outputDir, { recursive: true, force: true });
  mkdirSync(outputDir, { recursive: true });
  let shots = 0;
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const consoleErrors = [];
  page.on("console", (message) => message.type() === "error" && consoleErrors.push(message.text()));
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
  const shot = async (label) => {
    shots += 1;
    const file = join(outputDir, `${String(shots).padStart(2, "0")}-${label}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`screenshot ${file}`);
    return file;
  };
  const step = async (label, action) => {
    const started = Date.now();
    console.log(`step: ${label}`);
    const result = await action();
    console.log(`  done in ${Date.now() - started} ms`);
    return result;
  };
  try {
    await body({ browser, page, params, shot, step, consoleErrors, outputDir });
    console.log(`scenario ${name}: passed`);
  } catch (error) {
    console.error(`scenario ${name}: FAILED: ${error.stack || error}`);
    try {
      await page.screenshot({ path: join(outputDir, "failure.png"), fullPage: true });
      writeFileSync(join(outputDir, "failure.html"), await page.content());
      console.error(`failure screenshot and HTML in ${outputDir}`);
    } catch (captureError) {
      console.error(`could not capture the page: ${captureError}`);
    }
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
