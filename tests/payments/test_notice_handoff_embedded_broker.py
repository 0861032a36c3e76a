"""A payment notice is handed to the embedded SQLite broker (bin/run's) right away.

Observed before (issue 15, new-user review helper-66): the bounded hand-off passed Redis's
socket timeouts as transport options; the SQLite transport hands its options to SQLAlchemy's
create_engine, which refused them (TypeError), so every notice was logged "not handed to the
broker" and waited a minute for the sweep."""

import logging

from celery import Celery

from payments import notifications


def test_a_notice_is_queued_on_the_embedded_broker_with_nothing_logged(tmp_path, caplog):
    app = Celery("handoff", broker=f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}")

    @app.task(name="handoff.probe")
    def probe(payment_id, kind):
        return payment_id

    with caplog.at_level(logging.WARNING, logger="ismartpay.notices"):
        notifications._publish(probe, (7, "received"), "payment:7:received")

    assert caplog.records == []
    with app.connection_for_write() as connection:
        assert connection.SimpleQueue("celery").qsize() == 1


def test_on_redis_the_hand_off_keeps_its_one_second_socket_timeouts():
    assert notifications.handoff_options("redis://127.0.0.1:6379/15") == {
        "max_retries": 0,
        "socket_connect_timeout": 1,
        "socket_timeout": 1,
    }
    assert notifications.handoff_options("sqla+sqlite:///var/broker.sqlite3") == {"max_retries": 0}
