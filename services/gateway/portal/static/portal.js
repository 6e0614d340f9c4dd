// The portal's only script, and every page works without it: copy buttons, and the mapping
// form's live preview (the same POST its Preview button makes, answered with just the
// preview's HTML, which the server has escaped). Loaded from this origin under a CSP that
// allows no inline script.
"use strict";

function copyButtons() {
  for (const button of document.querySelectorAll("button.copy[data-copy]")) {
    button.addEventListener("click", async () => {
      const source = document.querySelector(button.dataset.copy);
      if (!source) return;
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = "Copied";
        button.classList.add("copied");
      } catch {
        const range = document.createRange();  // no clipboard access: select it instead
        range.selectNodeContents(source);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.textContent = "Press Ctrl+C";
      }
    });
  }
}

function livePreview() {
  const form = document.querySelector("form[data-preview]");
  if (!form) return;
  const target = document.querySelector(form.dataset.previewTarget);
  let timer;
  let latest = 0;
  const show = (asked, html) => {
    if (asked === latest) target.innerHTML = html;
  };
  const preview = async () => {
    const body = new FormData(form);
    if (!String(body.get("sample") || "").trim()) return;
    const asked = ++latest;
    let response;
    try {
      response = await fetch(form.dataset.preview, {
        method: "POST",
        body: new URLSearchParams(body),
        headers: { "X-Portal-Fragment": "preview" },
        credentials: "same-origin",
      });
    } catch {
      show(asked, '<p class="warning preview-stale">The preview could not reach the server: it updates when you type again.</p>');
      return;
    }
    // 422: the mapping as typed cannot be used; the fragment says why.
    if (response.ok || response.status === 422) {
      show(asked, await response.text());
    } else {
      // e.g. 429, the account's changes a minute: say so rather than keep an old preview.
      const why = response.status === 429 ? "too many requests this minute" : `the server answered ${response.status}`;
      show(asked, `<p class="warning preview-stale">The preview is not up to date (${why}): it updates when you type again, or with the Preview button.</p>`);
    }
  };
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(preview, 300);
  };
  // "input" covers typing and pasting alike; "paste" and "change" also cover editors and
  // autofill that insert text without an input event.
  for (const kind of ["input", "paste", "change"]) form.addEventListener(kind, soon);
  // A sample the browser restored into the form (back, reload) is previewed at once.
  if (!target.querySelector(".preview")) soon();
}

document.addEventListener("DOMContentLoaded", () => {
  copyButtons();
  livePreview();
});
