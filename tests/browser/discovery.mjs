// Discovery end to end, as a person sees it: an event published through the public API is
// found on its city page and by search, its page carries schema.org JSON-LD, and once it is
// cancelled through the API the page says so.
//
// Params: gatewayUrl, discoveryUrl, apiKey, channelId, channelSlug, marker, startAt, day.

import { scenario, expect, eventually, publicApi as api } from "./harness.mjs";

async function jsonLd(page) {
  const text = await page.locator('script[type="application/ld+json"]').textContent();
  return JSON.parse(text);
}

await scenario("discovery", async ({ page, params, shot, step, consoleErrors }) => {
  const title = `Browser jazz night ${params.marker}`;
  const created = await step("publish an event through the public API", () =>
    api(params, "POST", "/events", {
      channelId: params.channelId,
      title,
      startAt: params.startAt,
      timezone: "America/New_York",
      classifications: ["music"],
      approxLocation: { city: { placeId: "place-new-york", name: "New York", countryCode: "US" } },
      description: "Live trio & friends. <b>Bring</b> a friend.",
      venue: { name: "Pier 17", address: "89 South St, New York, NY 10038",
               coordinates: { lat: 40.7057, lng: -74.0014 } },
      ticketLinks: [{ url: "https://tickets.example.com/browser", label: "Tickets" }],
    }),
  );
  const eventLink = `a[href="/events/${created.id}"]`;

  await step("find it on the New York city page", async () => {
    const cityPage = `${params.discoveryUrl}/cities/place-new-york?from=${params.day}&to=${params.day}`;
    await eventually(async () => {
      await page.goto(cityPage);
      return (await page.locator(eventLink).count()) > 0;
    }, "the event on its city page");
    expect(await page.locator("h1").textContent(), "city page heading").toContain("New York");
  });
  await shot("city-page");

  await step("find it by searching from the header", async () => {
    await page.fill("input[name=q]", params.marker);
    await Promise.all([page.waitForURL(/\/search\?/), page.press("input[name=q]", "Enter")]);
    expect(await page.locator(eventLink).count(), "search results linking the event").toBe(1);
  });
  await shot("search-results");

  await step("open its page and read the JSON-LD", async () => {
    await Promise.all([page.waitForURL(`**/events/${created.id}`), page.click(eventLink)]);
    const document = await jsonLd(page);
    expect(document["@type"], "JSON-LD @type").toBe("Event");
    expect(document.name, "JSON-LD name").toBe(title);
    expect(document.eventStatus, "JSON-LD eventStatus").toBe("https://schema.org/EventScheduled");
    expect(document.location.name, "JSON-LD location").toBe("Pier 17");
    expect(document.offers[0].url, "JSON-LD offer").toBe("https://tickets.example.com/browser");
    expect(await page.locator("h1").textContent(), "event heading").toBe(title);
    // HTML sent to the API is stored in the one description format (`**Bring**`), never as
    // HTML; the page renders that format, so the word is bold and no markup is shown.
    const description = page.locator(".description");
    expect(await description.textContent(), "description, rendered")
      .toContain("Live trio & friends. Bring a friend.");
    expect(await description.locator("strong").textContent(), "bold from the format")
      .toBe("Bring");
    expect(await description.locator("b, script").count(), "HTML from the API").toBe(0);
    const calendar = await page.locator("a.button").getAttribute("href");
    expect(calendar, "add-to-calendar link").toContain(`/events/${created.id}.ics`);
    expect(await page.locator(`a[href$="/channels/${params.channelSlug}"]`).count(),
      "link to its channel").toBe(1);
  });
  await shot("event-page");

  await step("cancel it through the API and see it marked cancelled", async () => {
    await api(params, "POST", `/events/${created.id}/cancel`);
    await eventually(async () => {
      await page.reload();
      return (await page.locator(".notice").count()) > 0;
    }, "the cancellation notice");
    expect(await page.locator(".notice").textContent(), "notice").toContain("cancelled");
    const document = await jsonLd(page);
    expect(document.eventStatus, "JSON-LD after cancel").toBe("https://schema.org/EventCancelled");
  });
  await shot("event-cancelled");

  expect(consoleErrors.join("\n"), "browser console errors (CSP violations show here)").toBe("");
});
