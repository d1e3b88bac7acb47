"""A fake OpenAI-compatible chat-completions server for tests, on 127.0.0.1.

It speaks just enough of ``POST /v1/chat/completions`` for the ``openai`` client and
instructor: each test scripts a queue of replies (a tool call, a JSON message, plain text, a
refusal, an HTTP error, a hang past the client's timeout) and reads back the requests the
server received, so it can assert what the model was shown. Nothing here reaches a network:
the server binds to the loopback interface on a port the OS picks.

Declare a fixture with :func:`serve`, or use ``FakeOpenAI`` directly::

    from tests.fake_openai import serve, tool_call

    @pytest.fixture
    def fake_openai(settings, monkeypatch):
        yield from serve(settings, monkeypatch)

    def test_x(fake_openai):
        fake_openai.push(tool_call({"answer": {...}}))
        ...
        assert fake_openai.requests[0].body["messages"][0]["role"] == "system"
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

#: Environment variables that would send loopback requests through a proxy.
PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)

#: Settings a test run uses for the LLM planner: tiny backoff, so failure modes take
#: milliseconds, and a timeout generous enough for a loaded CI machine running the suite on
#: every core (the timeout tests set their own); ``BASE_URL`` is filled in by the fixture.
TEST_LLM_SETTINGS: dict[str, Any] = {
    "MODEL": "fake-model",
    "API_KEY_ENV": "DJAI_FAKE_LLM_KEY",
    "MODE": "tools",
    "TIMEOUT_S": 10.0,
    "MAX_RETRIES": 2,
    "RETRY_BACKOFF_S": 0.001,
    "RETRY_BACKOFF_MAX_S": 0.01,
    "MAX_REASKS": 2,
}

#: The status the server answers with when a request arrives that no test scripted; chosen
#: so the client does not retry it (a 5xx would be retried and hide the mistake).
UNSCRIPTED_STATUS = 418


@dataclass
class Reply:
    """One scripted answer: an HTTP status and JSON body, optionally after a delay."""

    status: int = 200
    body: Any = None  # dict -> JSON; str -> sent as is (for broken bodies)
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ReceivedRequest:
    """What the server received: method, path, headers (lower-case names) and the JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    def text(self) -> str:
        """Every message content joined: what the model read, for ``in`` assertions."""
        parts: list[str] = []
        for message in self.messages:
            content = message.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):
                parts.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
            for call in message.get("tool_calls") or []:
                parts.append(str(call.get("function", {}).get("arguments", "")))
        return "\n".join(parts)


# --------------------------------------------------------------------------- reply builders

_ids = itertools.count(1)


def _completion(message: dict[str, Any], finish_reason: str) -> dict[str, Any]:
    n = next(_ids)
    return {
        "id": f"chatcmpl-fake-{n}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def tool_call(arguments: dict[str, Any] | str, name: str = "LLMAnswer") -> Reply:
    """The model calls the response tool (instructor's TOOLS mode). A string is sent as the
    raw ``arguments`` text, so a test can send malformed JSON."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": f"call_{next(_ids)}",
                "type": "function",
                "function": {"name": name, "arguments": text},
            }
        ],
    }
    return Reply(body=_completion(message, "tool_calls"))


def message(content: dict[str, Any] | str) -> Reply:
    """The model answers with message content (instructor's JSON mode, or plain text)."""
    text = content if isinstance(content, str) else json.dumps(content)
    return Reply(body=_completion({"role": "assistant", "content": text}, "stop"))


def cut_off(partial: str = '{"answer": {"kind": "pla') -> Reply:
    """An answer stopped by the token limit (``finish_reason`` "length")."""
    return Reply(body=_completion({"role": "assistant", "content": partial}, "length"))


def refusal(text: str = "I'm sorry, I can't help with that.") -> Reply:
    """The provider's own refusal (OpenAI's ``message.refusal``), no tool call."""
    body = _completion({"role": "assistant", "content": None, "refusal": text}, "stop")
    return Reply(body=body)


def error(
    status: int, text: str = "fake error", *, code: str | None = None, **headers: str
) -> Reply:
    """An HTTP error with an OpenAI-style error body."""
    kind = {401: "invalid_request_error", 429: "rate_limit_error"}.get(status, "server_error")
    body = {"error": {"message": text, "type": kind, "code": code, "param": None}}
    return Reply(status=status, body=body, headers=dict(headers))


def hang(seconds: float = 5.0) -> Reply:
    """Sleep before answering, longer than the client waits: a timeout."""
    return Reply(
        status=200,
        body=_completion({"role": "assistant", "content": "late"}, "stop"),
        delay_s=seconds,
    )


# --------------------------------------------------------------------------- server


class FakeOpenAI:
    """The server: start it, push replies, read ``requests``, stop it."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[ReceivedRequest] = []
        self.unscripted: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> FakeOpenAI:
        handler = _handler_for(self)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        # A handler may be sleeping to simulate a timeout; stopping must not wait for it.
        server.block_on_close = False
        self._server = server
        # A short poll interval makes stop() quick (the default waits up to 0.5 s).
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-openai",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    # -- scripting

    def push(self, *replies: Reply) -> FakeOpenAI:
        with self._lock:
            self.replies.extend(replies)
        return self

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self.replies)

    def _next(self, request: ReceivedRequest) -> Reply | None:
        with self._lock:
            self.requests.append(request)
            if self.replies:
                return self.replies.popleft()
            self.unscripted.append(request)
            return None

    def wait(self, seconds: float) -> None:
        """Sleep, but wake up when the server stops."""
        self._stopping.wait(seconds)


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw or b"null")
            except json.JSONDecodeError:
                body = raw.decode("utf-8", "replace")
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = ReceivedRequest("POST", self.path, headers, body)
            reply = fake._next(request)
            if reply is None:
                reply = error(UNSCRIPTED_STATUS, f"fake server: no reply scripted for {self.path}")
            elif not self.path.endswith("/chat/completions"):
                reply = error(404, f"fake server: unknown path {self.path}")
            if reply.delay_s:
                fake.wait(reply.delay_s)
            self._send(reply)

        def _send(self, reply: Reply) -> None:
            payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
            data = payload.encode("utf-8")
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test): nothing to answer

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler


def serve(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    """Body of a ``fake_openai`` fixture: a started server, with ``DJAI`` pointing the LLM
    planner at it (``settings`` is pytest-django's fixture, restored after the test). Fails
    the test if a request arrived that no reply was scripted for. A test module declares::

        @pytest.fixture
        def fake_openai(settings, monkeypatch):
            yield from serve(settings, monkeypatch)
    """
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DJAI_FAKE_LLM_KEY", "sk-fake-test-key")
    with FakeOpenAI() as fake:
        llm = {**TEST_LLM_SETTINGS, "BASE_URL": fake.base_url}
        settings.DJAI = {**getattr(settings, "DJAI", {}), "PLANNER": "llm", "LLM": llm}
        yield fake
        assert not fake.unscripted, (
            f"{len(fake.unscripted)} request(s) reached the fake LLM with no scripted reply"
        )
