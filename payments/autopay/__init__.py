"""Automatic payments, one slice: schedule maths, services, selectors, the nightly run and its
Celery tasks, and the pages (views, forms, urls) and admin."""
