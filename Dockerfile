# The portal's image: the same for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 1000 ismartpay
COPY pyproject.toml README.md ./
COPY ismartpay ismartpay
COPY accounts accounts
COPY loans loans
COPY payments payments
RUN pip install .
COPY . .
# Static files are collected at build time and served by whitenoise, with DEBUG off as the
# containers run: only then is the hashed-name manifest (staticfiles.json) written, and without
# it every page is a 500. The two keys only let settings load (collectstatic uses neither; the
# Fernet key is base64 of "build-only-never-used-at-runtime"); docker-compose.yml sets real ones.
RUN SECRET_KEY=build-only-never-used-at-runtime \
    FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1uZXZlci11c2VkLWF0LXJ1bnRpbWU= \
    DEBUG=false python manage.py collectstatic --noinput \
    && test -f staticfiles/staticfiles.json
USER ismartpay
EXPOSE 8000
CMD ["gunicorn", "ismartpay.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
