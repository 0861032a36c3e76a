# Sourced by bin/run and bin/manage: the settings of a portal tried out on this machine, kept in
# var/local.env (git-ignored, beside the data it encrypts) and exported, so that
# `bin/manage run_daily` works exactly as written. DEBUG is off, so a person sees the portal's
# own error pages; plain-HTTP localhost is allowed (no HTTPS redirect, no HSTS, cookies without
# Secure). Fresh random keys are made once and kept. Variables already set in the environment win.
# Usage: ensure_local_env PORT
ensure_local_env() {
    local port="$1" file="var/local.env" secret keys
    mkdir -p var/mail
    secret="$(sed -n 's/^SECRET_KEY=//p' "$file" 2>/dev/null || true)"
    keys="$(sed -n 's/^FIELD_ENCRYPTION_KEYS=//p' "$file" 2>/dev/null || true)"
    [ -n "$secret" ] || secret="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    [ -n "$keys" ] || keys="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
    cat >"$file" <<ENV
# Written by bin/run for this machine only: never use these settings on a server.
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
    local line name
    while IFS= read -r line; do
        case "$line" in ''|'#'*) continue ;; esac
        name="${line%%=*}"   # the value keeps every "=" (Fernet keys end with one)
        [ -n "${!name+set}" ] || export "$line"
    done <"$file"
}
