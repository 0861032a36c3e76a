"""The Celery app: broker and schedule come from Django settings (namespace CELERY_)."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ismartpay.settings")

app = Celery("ismartpay")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def declare_queues() -> list[str]:
    """Create the broker's queues before any worker or scheduler starts.

    On the embedded SQLAlchemy broker, beat and a worker starting together race to create the
    queue row and sends fail; declaring once, up front, removes the race. Harmless on Redis.
    """
    names = []
    with app.connection_for_write() as conn:
        for queue in app.amqp.queues.values():
            queue(conn.default_channel).declare()
            names.append(queue.name)
    return names


# One structured log line per job: logging hooks, not business logic.
_started: dict[str, float] = {}


@task_prerun.connect
def _job_started(task_id=None, **_kwargs) -> None:
    import time

    _started[task_id] = time.monotonic()


@task_postrun.connect
def _job_finished(task_id=None, task=None, state=None, **_kwargs) -> None:
    import logging
    import time

    started = _started.pop(task_id, None)
    logging.getLogger("ismartpay.jobs").info(
        "job finished",
        extra={
            "task": getattr(task, "name", None),
            "task_id": task_id,
            "state": state,
            "duration_ms": round((time.monotonic() - started) * 1000, 1) if started else None,
        },
    )
