"""The test servers themselves: a real SMTP server that can be slow, refuse or hang, and a
throwaway Redis server. Real sockets and real clients (smtplib, redis-py), no mocks."""

from __future__ import annotations

import smtplib
import socket
import threading
import time
import uuid
from email.message import EmailMessage

import pytest
import redis

from tests.smtp_server import SmtpServer


def email(number: int = 1, to: str = "hoa@example.org", subject: str = "Nhắc lịch học") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "EIP Training <no-reply@example.org>"
    message["To"] = to
    message["Subject"] = f"{subject} {number}"
    message["Message-ID"] = f"<{number}.test@example.org>"
    message.set_content("Xin chào, buổi học bắt đầu lúc 8:30.")
    return message


def send(server: SmtpServer, message: EmailMessage, timeout: float = 2, **kwargs) -> dict:
    with smtplib.SMTP(server.host, server.port, timeout=timeout) as client:
        return client.send_message(message, **kwargs)


# -- SMTP -------------------------------------------------------------------------------


def test_messages_arrive_parsed_with_their_envelope(smtp_server):
    send(smtp_server, email(1), to_addrs=["hoa@example.org", "minh@example.org"])
    send(smtp_server, email(2))

    assert smtp_server.wait_for(2, timeout=2)
    first, second = smtp_server.messages
    assert isinstance(first, EmailMessage)
    assert first["Subject"] == "Nhắc lịch học 1"
    assert first.get_body(preferencelist=("plain",)).get_content().strip() == (
        "Xin chào, buổi học bắt đầu lúc 8:30."
    )
    assert first.envelope_from == "no-reply@example.org"
    assert first.envelope_recipients == ["hoa@example.org", "minh@example.org"]
    assert second.envelope_recipients == ["hoa@example.org"]
    assert smtp_server.message_ids() == ["<1.test@example.org>", "<2.test@example.org>"]
    assert smtp_server.mode == "normal"


def test_wait_for_gives_up_after_its_timeout(smtp_server):
    started = time.monotonic()
    assert smtp_server.wait_for(1, timeout=0.2) is False
    assert 0.15 < time.monotonic() - started < 1.5
    smtp_server.clear()
    assert smtp_server.messages == []


def test_slow_delays_the_answer_to_the_data(smtp_server):
    smtp_server.slow(0.6)
    assert smtp_server.mode == "slow"
    started = time.monotonic()
    send(smtp_server, email(1))
    assert time.monotonic() - started >= 0.6

    smtp_server.normal()
    started = time.monotonic()
    send(smtp_server, email(2))
    assert time.monotonic() - started < 0.5
    assert smtp_server.message_ids() == ["<1.test@example.org>", "<2.test@example.org>"]


def test_a_client_that_gives_up_on_a_slow_server_and_resends_makes_a_duplicate(smtp_server):
    smtp_server.slow(1.5)
    with pytest.raises((smtplib.SMTPServerDisconnected, TimeoutError)):
        send(smtp_server, email(7), timeout=0.4)
    smtp_server.recover()
    send(smtp_server, email(7))

    assert smtp_server.message_ids() == ["<7.test@example.org>"] * 2


def test_refuse_closes_the_port_and_recover_listens_on_the_same_one(smtp_server):
    port = smtp_server.port
    open_connection = smtplib.SMTP(smtp_server.host, port, timeout=2)
    assert open_connection.noop()[0] == 250

    smtp_server.refuse()
    assert smtp_server.mode == "refuse"
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP(smtp_server.host, port, timeout=1)
    with pytest.raises(smtplib.SMTPServerDisconnected):  # the server went away under it
        open_connection.noop()
    open_connection.close()

    smtp_server.recover()
    assert smtp_server.port == port
    send(smtp_server, email(1))
    assert smtp_server.wait_for(1, timeout=1)


def test_hang_accepts_the_connection_but_never_greets(smtp_server):
    port = smtp_server.port
    smtp_server.hang()
    assert smtp_server.mode == "hang"

    started = time.monotonic()
    with pytest.raises((smtplib.SMTPServerDisconnected, TimeoutError), match="timed out"):
        smtplib.SMTP(smtp_server.host, port, timeout=1)
    assert 0.9 < time.monotonic() - started < 2.5

    raw = socket.create_connection((smtp_server.host, port), timeout=0.3)  # TCP is accepted
    with raw, pytest.raises(TimeoutError):
        raw.recv(1)

    smtp_server.recover()
    assert smtp_server.port == port
    send(smtp_server, email(1))
    assert smtp_server.message_ids() == ["<1.test@example.org>"]


def test_reject_recipient_refuses_that_address_only(smtp_server):
    smtp_server.reject_recipient("Minh@Example.org")
    assert smtp_server.mode == "reject_recipient"

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtp_server, email(1, to="minh@example.org"))
    code, text = refused.value.recipients["minh@example.org"]
    assert code == 550
    assert b"5.1.1" in text

    partly = send(smtp_server, email(2), to_addrs=["hoa@example.org", "minh@example.org"])
    assert partly == {"minh@example.org": (550, partly["minh@example.org"][1])}
    assert smtp_server.wait_for(1, timeout=1)
    assert smtp_server.messages[0].envelope_recipients == ["hoa@example.org"]
    assert smtp_server.message_ids() == ["<2.test@example.org>"]

    smtp_server.recover()
    send(smtp_server, email(3, to="minh@example.org"))
    assert smtp_server.message_ids() == ["<2.test@example.org>", "<3.test@example.org>"]


def test_temporary_failure_answers_the_data_with_4xx_and_keeps_nothing(smtp_server):
    smtp_server.temporary_failure()
    with pytest.raises(smtplib.SMTPDataError) as failed:
        send(smtp_server, email(1))
    assert failed.value.smtp_code == 451
    assert smtp_server.messages == []

    smtp_server.temporary_failure(421)
    with pytest.raises(smtplib.SMTPDataError) as failed:
        send(smtp_server, email(2))
    assert failed.value.smtp_code == 421

    smtp_server.recover()
    send(smtp_server, email(3))
    assert smtp_server.message_ids() == ["<3.test@example.org>"]


def test_modes_switch_from_several_threads_at_once(smtp_server):
    port, errors = smtp_server.port, []

    def switch(modes) -> None:
        try:
            for _ in range(8):
                for mode in modes:
                    mode()
        except Exception as error:  # reported below
            errors.append(error)

    threads = [
        threading.Thread(target=switch, args=([smtp_server.refuse, smtp_server.recover],)),
        threading.Thread(target=switch, args=([smtp_server.hang, lambda: smtp_server.slow(0.01)],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []

    smtp_server.recover()
    assert (smtp_server.port, smtp_server.mode) == (port, "normal")
    send(smtp_server, email(1))
    assert smtp_server.message_ids() == ["<1.test@example.org>"]


# -- Redis ------------------------------------------------------------------------------


def test_redis_answers_ping_set_and_get(redis_url):
    client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    key = f"lms-test:{uuid.uuid4()}"
    try:
        assert client.ping() is True
        assert client.set(key, "Chào", ex=60) is True
        assert client.get(key).decode() == "Chào"
    finally:
        client.delete(key)
        client.close()


def test_redis_kill_takes_it_away_and_restart_brings_it_back_empty(redis_server):
    port = redis_server.port
    client = redis.Redis.from_url(
        redis_server.url(), socket_timeout=1, socket_connect_timeout=1, retry_on_error=[]
    )
    try:
        client.set("kept?", "no")

        redis_server.kill()
        assert not redis_server.running
        with pytest.raises(redis.exceptions.ConnectionError):
            client.ping()

        redis_server.restart()
        assert redis_server.port == port
        assert client.ping() is True
        assert client.get("kept?") is None  # nothing is persisted
    finally:
        client.close()
