// Fields that apply to one choice only (data-shown-for="<radio or select name>=<value>[,<value>]")
// are shown when that choice is picked. Progressive enhancement: without JavaScript every
// such field shows, labelled "(if you chose …)", and the server validates the one that applies.
// Served from our own origin (CSP: no inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  const fields = [...document.querySelectorAll("[data-shown-for]")];
  if (!fields.length) return;
  // Shown only when chosen, a field needs no "(if you chose …)" in its label.
  document.querySelectorAll("[data-when-chosen]").forEach((note) => { note.hidden = true; });
  const chosen = (name) => {
    const el = document.querySelector(`[name='${name}']`);
    if (el && el.tagName === "SELECT") return el.value;
    const checked = document.querySelector(`input[name='${name}']:checked`);
    return checked ? checked.value : "";
  };
  const update = () => {
    fields.forEach((field) => {
      const [name, values] = field.dataset.shownFor.split("=");
      const show = values.split(",").includes(chosen(name));
      field.hidden = !show && !field.classList.contains("field--invalid");
    });
  };
  document.addEventListener("change", update);
  update();
});
