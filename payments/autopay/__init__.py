"""Automatic payments, one slice: schedule maths, services, selectors, the nightly run and its
Celery tasks, and the pages (views, forms, urls) and admin. payments/views/autopay.py,
forms_autopay.py, urls_autopay.py and admin_autopay.py stay importable under their old names."""
