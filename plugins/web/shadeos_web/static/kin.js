// kin web: forms that change something are POSTed with the page's CSRF token; live regions follow SSE.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="kin-csrf"]').content;
  const flash = document.getElementById("flash");

  function say(text, failed) {
    flash.textContent = text || "";
    flash.className = failed ? "error" : "ok";
  }

  document.addEventListener("submit", async function (event) {
    const form = event.target;
    if (!form.hasAttribute("data-post")) return;
    event.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    const body = new URLSearchParams(new FormData(form));
    let answer;
    try {
      const response = await fetch(form.action, {
        method: "POST", body: body, credentials: "same-origin",
        headers: {"X-Kin-CSRF": csrf, "Accept": "application/json"},
      });
      answer = await response.json().catch(() => ({error: response.status + " " + response.statusText}));
    } catch (err) {
      answer = {error: "kin web is not answering (" + err + ")"};
    }
    say(answer.error || answer.message, Boolean(answer.error));
    if (!answer.error && form.dataset.then) window.location.assign(form.dataset.then);
    else if (!answer.error && form.hasAttribute("data-reload")) window.location.reload();
  });

  function follow(region) {
    const source = new EventSource(region.dataset.stream);
    let last = null;
    source.addEventListener("fragment", function (event) {
      if (event.data === last) return;  // unchanged: leave what the person is doing alone
      last = event.data;
      region.innerHTML = event.data;
      region.dataset.updated = String(Date.now());
    });
    source.addEventListener("line", function (event) {
      region.textContent += event.data + "\n";
      if (region.dataset.stick !== "no") region.scrollTop = region.scrollHeight;
    });
  }
  document.querySelectorAll("[data-stream]").forEach(follow);
})();
