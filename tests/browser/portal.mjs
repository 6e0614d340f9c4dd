// The developer portal end to end, as a new customer meets it: the owner follows the
// invitation an operator created, sets a password, signs in, completes the account's setup,
// creates a key (sees its secret once, not after a reload), creates a Strapi integration,
// pastes a sample delivery and sees the live preview follow the mapping as it is typed, sends
// the delivery with curl and finds it in the deliveries list; and a form posted without its
// CSRF token is refused.
//
// Params: gatewayUrl, invitationUrl, email, password, marker (unique text for this run).

import { execFileSync } from "node:child_process";
import { scenario, expect, eventually } from "./harness.mjs";

await scenario("portal", async ({ page, params, shot, step, consoleErrors }) => {
  const portal = `${params.gatewayUrl}/developers`;

  await step("follow the invitation: the token leaves the address bar", async () => {
    await page.goto(params.invitationUrl);
    expect(page.url(), "address after the invitation").toBe(`${portal}/invitation`);
    expect(await page.locator(".invited-email").textContent(), "invited as").toBe(params.email);
  });
  await shot("invitation");

  await step("set a password, then sign in with it", async () => {
    await page.fill("input[name=displayName]", "Ada Lovelace");
    await page.fill("input[name=password]", params.password);
    await page.fill("input[name=confirmation]", params.password);
    await Promise.all([page.waitForURL("**/developers/signin?done=password-set"), page.click("form button[type=submit]")]);
    expect(await page.locator(".notice").textContent(), "notice").toContain("password is set");
    await page.fill("input[name=email]", params.email);
    await page.fill("input[name=password]", params.password);
    await Promise.all([page.waitForURL("**/developers/setup"), page.click("form[action='/developers/signin'] button")]);
  });
  await shot("setup");

  await step("complete the account's setup on the first sign-in", async () => {
    await page.fill("input[name=name]", `Riverside Hall ${params.marker}`);
    await page.fill("input[name=channelName]", "Riverside events");
    await Promise.all([page.waitForURL("**/developers/keys"), page.click("form[action='/developers/setup'] button")]);
    expect(await page.locator("nav.me .who").textContent(), "who").toContain(`Riverside Hall ${params.marker}`);
  });

  let secret;
  await step("create a key with chosen scopes: its secret is shown once", async () => {
    await page.fill("#create-key input[name=name]", "CMS sync");
    await page.check("input[name=scopes][value='events:read']");
    await Promise.all([page.waitForURL("**/developers/reveal/keys/*"), page.click("#create-key button[type=submit]")]);
    secret = (await page.locator("#secret").textContent()).trim();
    expect(secret, "the secret").toContain("pe_test_");
    expect(await page.locator("button.copy[data-copy='#secret']").count(), "copy button").toBe(1);
  });
  await shot("key-secret");

  await step("reload: the secret is gone for good", async () => {
    await page.reload();
    expect(await page.locator("#secret").count(), "secret after reload").toBe(0);
    expect(await page.locator("#secret-gone").textContent(), "explanation").toContain("shown once");
    expect(await page.content(), "page after reload").notToContain(secret);
  });
  await shot("key-secret-gone");

  await step("the key works against the public API", async () => {
    const answer = await fetch(`${params.gatewayUrl}/api/public/v1/channels`, {
      headers: { Authorization: `Bearer ${secret}` },
    });
    expect(answer.status, "GET /channels with the new key").toBe(200);
  });

  let webhookUrl, token;
  await step("create a Strapi integration: its setup steps carry the URL and the header", async () => {
    await page.goto(`${portal}/integrations`);
    await Promise.all([page.waitForURL("**/integrations/new?source=strapi"), page.click("a[href$='source=strapi']")]);
    await page.fill("input[name=name]", "Strapi site");
    await page.fill("input[name=defaultCity]", "place-new-york");
    await page.check("input[name=defaultClassification][value=music]");
    await Promise.all([page.waitForURL("**/developers/reveal/integrations/*"), page.click("form[action='/developers/integrations'] button")]);
    const pasted = await page.locator(".setup-steps code.paste").allTextContents();
    webhookUrl = pasted.find((text) => text.includes("/webhooks/strapi/"));
    const header = pasted.find((text) => text.startsWith("Bearer "));
    expect(webhookUrl, "webhook URL step").toBeTruthy();
    expect(header, "Authorization header step").toBeTruthy();
    token = header.slice("Bearer ".length);
  });
  await shot("integration-setup");

  const body = JSON.stringify({
    event: "entry.publish",
    createdAt: "2026-05-02T10:00:00.000Z",
    model: "event",
    uid: "api::event.event",
    entry: {
      id: 7, documentId: `doc-${params.marker}`, locale: "en",
      title: `Jazz on the river ${params.marker}`,
      startAt: "2026-07-01T23:00:00.000Z", timezone: "America/New_York",
      updatedAt: "2026-05-02T10:00:00.000Z", publishedAt: "2026-05-02T10:00:00.000Z",
    },
  });

  // A real paste (the clipboard and Ctrl+V), not a typed value: the preview must follow it.
  const paste = async (selector, text) => {
    await page.evaluate((value) => navigator.clipboard.writeText(value), text);
    await page.fill(selector, "");
    await page.focus(selector);
    await page.keyboard.press("Control+V");
  };
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: params.gatewayUrl });

  await step("paste the sample delivery: the live preview shows the event", async () => {
    await page.click("a:has-text('Open the integration')");
    await paste("textarea[name=sample]", body);
    expect(await page.inputValue("textarea[name=sample]"), "the pasted sample").toBe(body);
    const pasted = Date.now();
    await eventually(async () => (await page.locator("#preview .preview[data-outcome=accepted]").count()) > 0, "the live preview");
    console.log(`  the preview followed the paste in ${Date.now() - pasted} ms`);
    expect(await page.locator("#preview").textContent(), "preview").toContain(`Jazz on the river ${params.marker}`);
  });
  await shot("preview");

  await step("map the title from a path the entry lacks: the preview says what to fix", async () => {
    await page.fill("input[name='map.title']", "entry.headline");
    await eventually(async () => (await page.locator("#preview .preview[data-outcome=invalid]").count()) > 0, "the refusal in the preview");
    expect(await page.locator("#preview .field-errors").textContent(), "field to fix").toContain("title");
    await page.fill("input[name='map.title']", "");
    await eventually(async () => (await page.locator("#preview .preview[data-outcome=accepted]").count()) > 0, "the event again");
  });
  await shot("preview-refused-then-fixed");

  // Strapi's local upload provider sends relative image URLs, and the site's own categories.
  const entry = JSON.stringify({
    event: "entry.publish", createdAt: "2026-05-02T10:00:00.000Z", model: "event", uid: "api::event.event",
    entry: {
      id: 8, documentId: `cover-${params.marker}`, locale: "en", title: "Heuriger Night & Wine",
      startAt: "2026-07-01T17:00:00.000Z", city: "Wien", country: "AT",
      category: ["food_and_drink", "live_music"],
      cover: { id: 3, name: "heuriger.jpg", alternativeText: "Wine taverns on a summer evening",
               url: "/uploads/heuriger_4f1.jpg", provider: "local", mime: "image/jpeg" },
      updatedAt: "2026-05-02T10:00:00.000Z", publishedAt: "2026-05-02T10:00:00.000Z",
    },
  });
  const categories = { categories: { values: { food_and_drink: "food-drink", live_music: "music" } } };

  await step("an entry with a relative cover: the preview asks for the media base URL", async () => {
    await paste("textarea[name=sample]", entry);
    await eventually(async () => (await page.locator("#preview .preview[data-outcome=invalid]").count()) > 0, "the refusal");
    expect(await page.locator("#preview").textContent(), "what to set").toContain("set the integration's mediaBaseUrl");
  });
  await shot("preview-needs-media-base-url");

  await step("type a media base URL and a value map: the preview shows the absolute image and our categories", async () => {
    await page.fill("input[name='mappingSettings.mediaBaseUrl']", "https://cms.example.org");
    await page.fill("textarea[name='mappingSettings.valueMaps']", JSON.stringify(categories, null, 2));
    await eventually(async () => (await page.locator("#preview .preview[data-outcome=accepted]").count()) > 0, "the event");
    const event = JSON.parse(await page.locator("#preview pre.event-json").textContent());
    expect(event.images[0].url, "the cover").toBe("https://cms.example.org/uploads/heuriger_4f1.jpg");
    expect(JSON.stringify(event.classifications), "classifications").toBe(JSON.stringify(["food-drink", "music"]));
    expect(await page.locator("#preview pre.event-json").textContent(), "the title as sent").toContain('"title": "Heuriger Night & Wine"');
  });
  await shot("preview-with-settings");

  await step("a value map without its values is refused, naming it", async () => {
    await page.fill("textarea[name='mappingSettings.valueMaps']", JSON.stringify({ categories: { food_and_drink: "food-drink" } }));
    await eventually(async () => (await page.locator("#preview .preview[data-outcome=invalid]").count()) > 0, "the refusal");
    expect(await page.locator("#preview .field-errors").textContent(), "the map named").toContain("mappingSettings.valueMaps.categories.values");
    await Promise.all([page.waitForNavigation(), page.click("#mapping-form button[value=save]")]);
    expect(await page.locator(".error[role=alert]").textContent(), "not saved").toContain("mappingSettings.valueMaps.categories");
  });
  await shot("value-map-refused");

  await step("save the settings: they are the integration's from now on", async () => {
    await page.fill("textarea[name='mappingSettings.valueMaps']", JSON.stringify(categories));
    await Promise.all([page.waitForURL("**?done=mapping-saved"), page.click("#mapping-form button[value=save]")]);
    expect(await page.inputValue("input[name='mappingSettings.mediaBaseUrl']"), "saved base URL").toBe("https://cms.example.org");
    expect(await page.inputValue("textarea[name='mappingSettings.valueMaps']"), "saved value map").toContain('"live_music": "music"');
    expect(await page.locator(".setup-steps").textContent(), "setup steps").toContain("joined to https://cms.example.org");
  });
  await shot("settings-saved");

  await step("send the delivery with curl, and find it in the deliveries list", async () => {
    const answer = execFileSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", webhookUrl,
      "-H", "Content-Type: application/json", "-H", `Authorization: Bearer ${token}`, "--data-binary", body]).toString();
    expect(answer, "webhook answer").toBe("202");
    await eventually(async () => {
      await page.goto(`${portal}/deliveries?status=applied`);
      return (await page.locator(`tr.delivery:has-text('doc-${params.marker}')`).count()) > 0;
    }, "the delivery, applied, in the list", { timeoutMs: 20000 });
  });
  await shot("deliveries");

  await step("the key's page charts its use per day and per route", async () => {
    await eventually(async () => {
      await page.goto(`${portal}/keys`);
      await page.click("tr.key a");
      return (await page.locator("svg.per-day g.day[data-requests='1']").count()) === 1;
    }, "the key's request in its usage chart", { timeoutMs: 20000 });
    expect(await page.locator("svg.per-route desc").textContent(), "per route").toContain("GET /api/public/v1/channels: 1");
  });
  await shot("key-usage");

  // Checked before the refused post below, whose 403 the console reports as a failed load;
  // so does the 422 of each refusal above (a value map without values, in the preview and
  // on saving), which is the answer those steps expect.
  const unexpected = consoleErrors.filter((text) => !text.includes("status of 422"));
  expect(unexpected.join("\n"), "browser console errors (CSP violations show here)").toBe("");

  await step("a form posted without its CSRF token is refused", async () => {
    await page.goto(`${portal}/keys`);
    await page.evaluate(() => document.querySelector("#create-key input[name=csrf]").remove());
    await page.fill("#create-key input[name=name]", "Forged");
    const [answer] = await Promise.all([page.waitForNavigation(), page.click("#create-key button[type=submit]")]);
    expect(answer.status(), "status").toBe(403);
    expect(await page.locator("h1").textContent(), "refusal").toContain("cannot be accepted");
    await page.goto(`${portal}/keys`);
    expect(await page.locator("tr.key").count(), "keys after the forged post").toBe(1);
  });
  await shot("csrf-refused");
});
