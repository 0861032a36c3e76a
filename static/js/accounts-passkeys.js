// After a passkey is registered, continue to the next page (recovery codes or security).
// Served from our origin (CSP: script-src 'self'); the ceremony itself is django-otp-webauthn's.
document.addEventListener("otp_webauthn.register_complete", (event) => {
  const holder = document.querySelector("[data-passkey-next]");
  if (holder) window.location.href = holder.dataset.passkeyNext;
});
