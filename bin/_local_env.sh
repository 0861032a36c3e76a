# Sourced by bin/run and bin/manage: the settings of a portal tried out on this machine, in .env
# (git-ignored), which Django reads on every start — so `bin/manage run_daily` works as written.
# DEBUG is off, so a person sees the portal's own error pages; plain-HTTP localhost is allowed
# (no HTTPS redirect, no HSTS, cookies without Secure). Fresh random keys are made once and kept.
# A .env you wrote yourself (without the first line below) is left alone.
# Usage: ensure_local_env PORT
ensure_local_env() {
    local port="$1" marker="# Written by bin/run for this machine only: never use it on a server."
    if [ -f .env ] && [ "$(head -n 1 .env)" != "$marker" ]; then
        return 0
    fi
    local secret keys
    secret="$(sed -n 's/^SECRET_KEY=//p' .env 2>/dev/null || true)"
    keys="$(sed -n 's/^FIELD_ENCRYPTION_KEYS=//p' .env 2>/dev/null || true)"
    [ -n "$secret" ] || secret="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    [ -n "$keys" ] || keys="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
    mkdir -p var/mail
    cat >.env <<ENV
$marker
DEBUG=false
SECRET_KEY=$secret
FIELD_ENCRYPTION_KEYS=$keys
SITE_URL=http://localhost:$port
SECURE_SSL_REDIRECT=false
SESSION_COOKIE_SECURE=false
SECURE_HSTS_SECONDS=0
ACCOUNT_DEFAULT_HTTP_PROTOCOL=http
EMAIL_URL=filemail://$PWD/var/mail
ENV
}
