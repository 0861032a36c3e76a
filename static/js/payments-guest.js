// Guest payment: show only the fields of the chosen way to pay (card or bank account).
// Progressive enhancement: without JavaScript both sections show and the server uses the
// one chosen. Served from our own origin (CSP: no inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  const radios = document.querySelectorAll("input[name='method_kind']");
  const sections = document.querySelectorAll("[data-guest-section]");
  if (!radios.length || !sections.length) return;
  const update = () => {
    const chosen = document.querySelector("input[name='method_kind']:checked");
    sections.forEach((section) => {
      section.hidden = Boolean(chosen) && section.dataset.guestSection !== chosen.value;
    });
  };
  radios.forEach((radio) => radio.addEventListener("change", update));
  update();
});
