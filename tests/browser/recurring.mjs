// A weekly workshop as a person sees it: published once through the public API, its
// Tuesdays are listed on the Berlin city page at 19:00 before and after the clocks change;
// an occurrence's page lists the other dates; once one date is cancelled through the
// occurrence route, that date's page and the list say so.
//
// Params: gatewayUrl, discoveryUrl, apiKey, channelId, marker, year, startAt, endAt, rrule.

import { scenario, expect, eventually, publicApi as api } from "./harness.mjs";

await scenario("recurring", async ({ page, params, shot, step, consoleErrors }) => {
  const created = await step("publish a weekly workshop once", () =>
    api(params, "POST", "/events", {
      channelId: params.channelId,
      title: `Pottery workshop ${params.marker}`,
      startAt: params.startAt,
      endAt: params.endAt,
      timezone: "Europe/Berlin",
      recurrence: { rrule: params.rrule },
      classifications: ["workshop"],
      approxLocation: { city: { placeId: "place-berlin", name: "Berlin", countryCode: "DE" } },
    }),
  );
  const listing = `${params.discoveryUrl}/cities/place-berlin?q=${params.marker}` +
    `&from=${params.year}-03-01&to=${params.year}-04-30`;
  const items = page.locator("li.event");

  await step("see its Tuesdays on the city page, at 19:00 on both sides of the March change", async () => {
    await eventually(async () => {
      await page.goto(listing);
      return (await items.count()) >= 8;
    }, "the occurrences on the city page");
    const times = await page.locator("li.event time").allTextContents();
    for (const text of times) expect(text, "a listed time").toContain("19:00");
    const zones = new Set(times.map((text) => text.slice(text.lastIndexOf("("))));
    expect([...zones].sort().join(" "), "winter and summer time").toBe("(CEST) (CET)");
    expect(await page.locator("li.event .repeats").count(), "marked as repeating")
      .toBe(await items.count());
  });
  await shot("city-page");

  const second = `${created.id}_${params.secondDay}`;
  await step("open the second date's page and see the other dates", async () => {
    await Promise.all([
      page.waitForURL(`**/events/${second}`),
      page.click(`li.event[data-event-id="${second}"] a.title`),
    ]);
    expect(await page.locator("p.when").textContent(), "its own date").toContain(params.secondLabel);
    expect(await page.locator(".series li.date").count(), "the nine other dates").toBe(9);
    const every = await page.locator(`a[href="/events/${created.id}.ics"]`).count();
    expect(every, "add every date").toBe(1);
  });
  await shot("occurrence-page");

  await step("cancel that date through the occurrence route and see it cancelled", async () => {
    await api(params, "PATCH", `/events/${created.id}/occurrences/${params.secondDay}`,
      { status: "cancelled" });
    await eventually(async () => {
      await page.reload();
      return (await page.locator(".notice").count()) > 0;
    }, "the cancellation notice");
    expect(await page.locator(".notice").textContent(), "notice").toContain("cancelled");
    await page.goto(listing);
    const cancelled = page.locator(`li.event[data-event-id="${second}"] .badge`);
    expect(await cancelled.textContent(), "the date cancelled in the list").toBe("Cancelled");
  });
  await shot("cancelled-date");

  expect(consoleErrors.join("\n"), "browser console errors (CSP violations show here)").toBe("");
});
