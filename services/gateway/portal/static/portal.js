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
  const preview = async () => {
    const body = new FormData(form);
    if (!String(body.get("sample") || "").trim()) return;
    const asked = ++latest;
    const response = await fetch(form.dataset.preview, {
      method: "POST",
      body: new URLSearchParams(body),
      headers: { "X-Portal-Fragment": "preview" },
      credentials: "same-origin",
    });
    // 422: the mapping as typed cannot be used; the fragment says why.
    if (asked === latest && (response.ok || response.status === 422)) {
      target.innerHTML = await response.text();
    }
  };
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(preview, 400);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  copyButtons();
  livePreview();
});
