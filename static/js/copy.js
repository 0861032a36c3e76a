// "Copy" buttons (data-copy="text to copy"): shown only where the Clipboard API works, so a
// button never does nothing; without JavaScript the text stays on the page to select or type.
// Served from our own origin (CSP: no inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) return;
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        button.textContent = button.dataset.copied || "Copied";
      } catch {
        button.textContent = "Select the key above and copy it";
      }
      setTimeout(() => { button.textContent = label; }, 4000);
    });
  });
});
