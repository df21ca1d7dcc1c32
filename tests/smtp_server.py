"""A real SMTP server on loopback for the mail tests, that can be slow, refuse or hang.

    with SmtpServer() as server:                  # or the ``smtp_server`` fixture
        send_to("127.0.0.1", server.port)
        assert server.wait_for(1)
        assert server.messages[0]["Subject"] == "..."

The server is aiosmtpd's threaded Controller on 127.0.0.1 and a free port. The port is
held for the server's whole life by a socket bound with SO_REUSEADDR that never listens,
so every mode below keeps the same port and no other program can take it meanwhile.
Modes switch at any time, from any thread:

``normal()`` / ``recover()``
    answers SMTP promptly and accepts everything (undoes every mode below).
``slow(seconds)``
    waits that long after a message's data before answering "250". The message counts
    as received as soon as its data has arrived (a real mail server queues it before it
    answers), so a client that gives up while waiting and sends again makes a duplicate,
    which ``message_ids()`` shows.
``refuse()``
    nothing listens on the port: connect() fails with ECONNREFUSED, and open
    connections are closed.
``hang()``
    a plain socket accepts connections and holds them without a byte, not even the
    greeting; open SMTP connections are closed.
``reject_recipient(address, code=550)``
    refuses that recipient at RCPT TO (permanently, with a 5xx code); repeatable for
    several addresses.
``temporary_failure(code=451)``
    answers every message's data with that 4xx code; nothing is received.

``slow``, ``reject_recipient`` and ``temporary_failure`` combine with each other, and
each brings back an SMTP listener when the server was refusing or hanging.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import weakref
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"
GREETING_NAME = "smtp.test.invalid"
NORMAL, SLOW, REFUSE, HANG = "normal", "slow", "refuse", "hang"
REJECT_RECIPIENT, TEMPORARY_FAILURE = "reject_recipient", "temporary_failure"


class _Handler:
    """aiosmtpd's hooks: they read the server's settings and record what arrives."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        code = self.server._rejection(address)
        if code is not None:
            return f"{code} {str(code)[0]}.1.1 <{address}>: recipient address rejected (test server)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        delay, failure = self.server._data_settings()
        if failure is not None:
            return f"{failure} 4.3.0 Temporary failure, try again later (test server)"
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        message = message_from_bytes(raw, policy=policy.default)
        message.envelope_from = envelope.mail_from
        message.envelope_recipients = list(envelope.rcpt_tos)
        self.server._receive(message)
        if delay:
            await asyncio.sleep(delay)
        return "250 OK: queued (test server)"


class _Controller(Controller):
    """aiosmtpd's Controller that also closes its open connections when it stops (the
    server going away drops its clients; an unclosed transport would also warn)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.connections: weakref.WeakSet[SMTP] = weakref.WeakSet()

    def factory(self) -> SMTP:
        smtp = super().factory()
        self.connections.add(smtp)
        return smtp

    def stop(self, no_assert: bool = False) -> None:
        def close_connections() -> None:
            for smtp in list(self.connections):
                if smtp.transport is not None:
                    smtp.transport.close()

        if self._thread is not None and not self.loop.is_closed():
            closed = threading.Event()
            self.loop.call_soon_threadsafe(lambda: (close_connections(), closed.set()))
            closed.wait(5)
        super().stop(no_assert)


class _Hanger:
    """Accepts TCP connections on the port and holds them open, silent."""

    def __init__(self, port: int) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((HOST, port))
        self.listener.listen(64)
        self.listener.settimeout(0.05)
        self.held: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, name=f"smtp-hang-{port}", daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.held.append(connection)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.listener.close()
        for connection in self.held:
            connection.close()
        self.held.clear()


class SmtpServer:
    """A real SMTP server on 127.0.0.1 for tests; see the module's docstring."""

    def __init__(self, ready_timeout: float = 10.0) -> None:
        self.host = HOST
        self.ready_timeout = ready_timeout
        # Holds the port for the server's life: bound with SO_REUSEADDR, never listening,
        # so the SMTP and hang listeners can bind it in turn and connect() meets a refusal
        # whenever neither is up.
        self._reservation = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._reservation.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._reservation.bind((HOST, 0))
        self.port: int = self._reservation.getsockname()[1]
        self._switching = threading.RLock()  # held while listeners start and stop
        self._state = threading.Condition()  # guards what the handler reads and writes
        self._received: list[EmailMessage] = []
        self._delay = 0.0
        self._failure: int | None = None
        self._rejected: dict[str, int] = {}
        self._listener = NORMAL  # NORMAL (SMTP), REFUSE, HANG; "stopped" before start
        self._controller: _Controller | None = None
        self._hanger: _Hanger | None = None
        self._started = False

    # -- life ---------------------------------------------------------------------------

    def start(self) -> SmtpServer:
        with self._switching:
            if self._reservation.fileno() < 0:
                raise RuntimeError("a stopped SmtpServer cannot start again: make a new one")
            if not self._started:
                self._started = True
                self._start_smtp()
        return self

    def stop(self) -> None:
        """Stop listening and release the port (the received messages stay readable)."""
        with self._switching:
            self._stop_listener()
            self._started = False
            self._reservation.close()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- modes --------------------------------------------------------------------------

    def normal(self) -> None:
        """Answer promptly and accept everything, on the same port."""
        with self._state:
            self._delay, self._failure = 0.0, None
            self._rejected.clear()
        self._listen_smtp()

    def recover(self) -> None:
        """Back to normal after any mode (same as ``normal()``)."""
        self.normal()

    def slow(self, seconds: float) -> None:
        """Wait ``seconds`` after each message's data before answering "250"."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        with self._state:
            self._delay = float(seconds)
        self._listen_smtp()

    def refuse(self) -> None:
        """Close the listener: connecting gets ECONNREFUSED until ``recover()``."""
        with self._switching:
            self._require_started()
            self._stop_listener()
            self._listener = REFUSE

    def hang(self) -> None:
        """Accept connections and never answer, not even the greeting."""
        with self._switching:
            self._require_started()
            if self._listener != HANG:
                self._stop_listener()
                self._hanger = _Hanger(self.port)
                self._listener = HANG

    def reject_recipient(self, address: str, code: int = 550) -> None:
        """Refuse ``address`` at RCPT TO with ``code`` (a permanent 5xx by default)."""
        if not 400 <= code < 600:
            raise ValueError(f"a refusal needs a 4xx or 5xx code, not {code}")
        with self._state:
            self._rejected[address.strip("<>").lower()] = code
        self._listen_smtp()

    def temporary_failure(self, code: int = 451) -> None:
        """Answer every message's data with ``code`` (4xx); nothing is received."""
        if not 400 <= code < 500:
            raise ValueError(f"a temporary failure needs a 4xx code, not {code}")
        with self._state:
            self._failure = code
        self._listen_smtp()

    @property
    def mode(self) -> str:
        """The current mode: refuse, hang, normal, or the SMTP behaviours in force
        joined by "+" (e.g. "slow+reject_recipient")."""
        if self._listener in (REFUSE, HANG):
            return self._listener
        with self._state:
            modes = [
                name
                for name, on in (
                    (SLOW, self._delay > 0),
                    (REJECT_RECIPIENT, bool(self._rejected)),
                    (TEMPORARY_FAILURE, self._failure is not None),
                )
                if on
            ]
        return "+".join(modes) or NORMAL

    # -- what arrived -------------------------------------------------------------------

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages received so far, oldest first (a copy), parsed with
        ``email.policy.default``; each also has ``envelope_from`` (str) and
        ``envelope_recipients`` (list of str: the accepted RCPT TO addresses)."""
        with self._state:
            return list(self._received)

    def message_ids(self) -> list[str]:
        """The Message-ID header of every received message that has one, oldest first;
        a message sent twice appears twice."""
        return [str(message["Message-ID"]) for message in self.messages if message["Message-ID"]]

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Block until at least ``count`` messages have arrived; False after ``timeout``."""
        with self._state:
            return self._state.wait_for(lambda: len(self._received) >= count, timeout)

    def clear(self) -> None:
        """Forget the messages received so far."""
        with self._state:
            self._received.clear()

    # -- for the handler (called on the server's event loop thread) ---------------------

    def _rejection(self, address: str) -> int | None:
        with self._state:
            return self._rejected.get(address.strip("<>").lower())

    def _data_settings(self) -> tuple[float, int | None]:
        with self._state:
            return self._delay, self._failure

    def _receive(self, message: EmailMessage) -> None:
        with self._state:
            self._received.append(message)
            self._state.notify_all()

    # -- listeners ----------------------------------------------------------------------

    def _require_started(self) -> None:
        if not self._started:
            raise RuntimeError("the SMTP server is not started")

    def _listen_smtp(self) -> None:
        with self._switching:
            self._require_started()
            if self._listener != NORMAL:
                self._stop_listener()
                self._start_smtp()

    def _start_smtp(self) -> None:
        controller = _Controller(
            _Handler(self),
            hostname=HOST,
            port=self.port,
            server_hostname=GREETING_NAME,
            ready_timeout=self.ready_timeout,
        )
        try:
            controller.start()
        except BaseException:
            controller.stop(no_assert=True)
            if not controller.loop.is_closed():
                controller.loop.close()
            raise
        self._controller = controller
        self._listener = NORMAL

    def _stop_listener(self) -> None:
        if self._controller is not None:
            controller, self._controller = self._controller, None
            controller.stop()
        if self._hanger is not None:
            hanger, self._hanger = self._hanger, None
            hanger.stop()
        self._listener = "stopped"
