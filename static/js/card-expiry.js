// Card expiry on a phone: the number pad has no "/", so add it as the borrower types
// ("1229" shows as "12/29"; "4" becomes "04/"). Progressive enhancement: without JavaScript
// the server reads "1229", "12 29", "12-29" and "12/2029" too (payments/cards.py parse_expiry).
// Served from our own origin (CSP: no inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[data-card-expiry]").forEach((input) => {
    input.addEventListener("input", (event) => {
      if (event.inputType && event.inputType.startsWith("delete")) return;  // let them erase
      let digits = input.value.replace(/[^0-9]/g, "").slice(0, 6);
      if (digits.length === 1 && digits > "1") digits = "0" + digits;  // "4" -> April
      if (digits.length > 4 && !digits.slice(2).startsWith("20")) digits = digits.slice(0, 4);
      input.value = digits.length >= 2 ? digits.slice(0, 2) + "/" + digits.slice(2) : digits;
    });
  });
});
