// Progressive enhancement only: every page works without JavaScript.
// Served from our own origin (CSP: script-src 'self', no inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  // Close the user menu when a tap lands outside it.
  document.addEventListener("click", (event) => {
    document.querySelectorAll("details.user-menu[open]").forEach((menu) => {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  // Move focus to the error summary so screen readers announce what went wrong.
  const summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
});

// Installable app: the service worker caches static files and an offline page, never pages.
if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  });
}
