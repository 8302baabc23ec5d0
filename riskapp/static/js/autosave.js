// Save the vendor's answers as they type, so a closed tab loses nothing.
//
// The form posts to its own URL with autosave=1; the server answers with what it saved, the
// answers' new revisions, and any answer someone else changed meanwhile (those are not
// overwritten: the page says so). "Save and continue" still posts the whole form normally.
(() => {
  "use strict";

  const form = document.querySelector("form[data-autosave]");
  if (!form || form.hasAttribute("data-readonly")) {
    return;
  }
  const status = document.getElementById("autosave-status");
  const conflictNote = document.getElementById("autosave-conflict");
  const revisions = form.querySelector("input[name=revisions]");
  let timer = null;
  let dirty = false;

  function payload() {
    const data = new FormData(form);
    data.set("autosave", "1");
    // Files go up with "Save and continue" only, not on every keystroke.
    form.querySelectorAll("input[type=file]").forEach((input) => data.delete(input.name));
    return data;
  }

  async function save() {
    timer = null;
    if (!dirty) {
      return;
    }
    dirty = false;
    status.textContent = "Saving…";
    try {
      const response = await fetch(form.action || window.location.href, {
        method: "POST", body: payload(), credentials: "same-origin",
        headers: { "Accept": "application/json" },
      });
      const result = await response.json();
      if (!response.ok) {
        status.textContent = result.error || "Not saved. Check your connection and try again.";
        return;
      }
      const known = JSON.parse(revisions.value || "{}");
      Object.assign(known, result.revisions || {});
      revisions.value = JSON.stringify(known);
      if (result.conflicts && result.conflicts.length) {
        conflictNote.hidden = false;
      }
      status.textContent = result.saved_at ? `Saved at ${result.saved_at}.` : "Saved.";
    } catch (error) {
      dirty = true;
      status.textContent = "Not saved yet: the connection failed. Retrying…";
      timer = window.setTimeout(save, 5000);
    }
  }

  function later() {
    dirty = true;
    if (timer) {
      window.clearTimeout(timer);
    }
    timer = window.setTimeout(save, 1200);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  // Leaving the page: send what is pending without waiting for an answer.
  window.addEventListener("pagehide", () => {
    if (dirty) {
      navigator.sendBeacon(form.action || window.location.href, payload());
    }
  });
})();
