"""Automatic payments: schedule maths, services, the nightly run and its Celery tasks."""
