// Planning end to end, as a person sees it: sign up on the site, follow the event's city,
// RSVP going on its page, accept a friend's request and see the friend going, get the secret
// calendar address and find the event in that feed (PARTSTAT and VALARMs), then see the
// reminder land in the inbox when the scheduler's clock reaches it.
//
// Params: discoveryUrl, eventId, eventTitle, email, password, friendToken, clockFile,
// reminderAt (ISO instant: the 1-day reminder's due instant).

import { writeFileSync } from "node:fs";
import { scenario, expect, eventually } from "./harness.mjs";

async function asFriend(params, method, path, body) {
  const response = await fetch(`${params.discoveryUrl}/api/people/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${params.friendToken}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
}

await scenario("planning", async ({ page, params, shot, step, consoleErrors }) => {
  const eventPage = `${params.discoveryUrl}/events/${params.eventId}`;

  await step("open the event page signed out: it offers to sign in", async () => {
    await page.goto(eventPage);
    expect(await page.locator(".plan a").textContent(), "sign-in prompt").toContain("Sign in");
  });

  await step("sign up, and land back on the event", async () => {
    await page.goto(`${params.discoveryUrl}/signup?next=/events/${params.eventId}`);
    await page.fill("input[name=displayName]", "Cy");
    await page.fill("input[name=email]", params.email);
    await page.fill("input[name=password]", params.password);
    await Promise.all([page.waitForURL(`**/events/${params.eventId}`), page.click("form[action='/signup'] button")]);
    expect(await page.locator("nav.people .me").textContent(), "signed-in name").toBe("Cy");
  });
  await shot("signed-up-event-page");

  await step("RSVP going", async () => {
    await Promise.all([page.waitForURL(`**/events/${params.eventId}`), page.click("button[value=going]")]);
    expect(await page.locator(".plan").getAttribute("data-rsvp"), "RSVP shown").toBe("going");
    expect(await page.locator("button[value=going]").getAttribute("aria-pressed"), "pressed").toBe("true");
    expect(await page.locator(".attendance").getAttribute("data-going"), "public count").toBe("2");
  });
  await shot("going");

  await step("accept a friend's request, share plans, see the friend going", async () => {
    await asFriend(params, "POST", "/me/friend-requests", { email: params.email });
    await page.goto(`${params.discoveryUrl}/me`);
    await Promise.all([page.waitForURL("**/me"), page.click(".friend-requests button")]);
    expect(await page.locator("ul.friends").textContent(), "friends list").toContain("Bo");
    await page.check("input[name=share]");
    await Promise.all([page.waitForURL("**/me"), page.click("form[action='/me/sharing'] button")]);
    await page.goto(eventPage);
    expect(await page.locator(".friend").textContent(), "friend going").toBe("Bo (going)");
  });
  await shot("friend-going");

  let calendarUrl;
  await step("get the secret calendar address and find the event in it", async () => {
    await page.goto(`${params.discoveryUrl}/me`);
    expect(await page.locator(".planned .event").getAttribute("data-event-id"), "planned event").toBe(params.eventId);
    await page.click("#new-calendar-url");
    calendarUrl = (await page.locator("#calendar-url").textContent()).trim();
    expect(calendarUrl, "calendar URL").toContain("/api/people/v1/me/calendar.ics?token=ppc_");
    const feed = await (await fetch(calendarUrl)).text();  // as a calendar app: no cookie
    expect(feed, "the event's UID").toContain(`UID:${params.eventId}@pinned.events`);
    expect(feed, "PARTSTAT from the RSVP").toContain("PARTSTAT=ACCEPTED");
    expect(feed, "the 1-day alarm").toContain("TRIGGER:-P1D");
    expect(feed, "the 1-hour alarm").toContain("TRIGGER:-PT1H");
  });
  await shot("calendar-address");

  await step("the reminder reaches the inbox when the clock reaches it", async () => {
    writeFileSync(params.clockFile, params.reminderAt);
    await eventually(async () => {
      await page.goto(`${params.discoveryUrl}/me/inbox`);
      return (await page.locator("li[data-kind=reminder]").count()) > 0;
    }, "the reminder in the inbox", { timeoutMs: 30000 });
    expect(await page.locator("li[data-kind=reminder] strong").textContent(), "reminder")
      .toBe(`${params.eventTitle} starts in 1 day`);
    expect(await page.locator(".inbox-link").textContent(), "unread count").toContain("(");
  });
  await shot("inbox");

  expect(consoleErrors.join("\n"), "browser console errors (CSP violations show here)").toBe("");
});
