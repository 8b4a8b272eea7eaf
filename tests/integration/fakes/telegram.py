"""Fake Telegram Bot API (sendMessage only) for the notifier's tests.

Answers like the real API (../shared/reference/api-contracts.md):
  ok                 200 {"ok":true,"result":{message}}
  429                {"ok":false,"error_code":429,"description":"Too Many Requests: retry
                      after N","parameters":{"retry_after":N}}
  400 parse          "Bad Request: can't parse entities: ..." (also given by itself when
                      the HTML of a message is malformed, as the real API does)
  400 too long       "Bad Request: message is too long" (text over 4096 characters)
  403                "Forbidden: bot was blocked by the user"
  5xx                502 Bad Gateway (Telegram's answer during outages)
  slow               answers after a delay
  echo:N             502 whose description repeats the request's path (which holds the
                      token) after N filler characters, as a misbehaving proxy might
A wrong token gets 401 "Unauthorized", an unknown chat 400 "chat not found".

    tg = FakeTelegram(token="123:abc", chat_id="42")   # started on a free port
    tg.script(["429:1", "ok"])      # next answers, in order; then the default
    tg.default = "500"              # answer when the script is empty
    tg.delivered()                  # texts accepted (answered ok), in order
    tg.requests()                   # every request: dict(path, body, answer, at)
    tg.close()
"""

import html.parser
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                "tg-spoiler", "span", "blockquote"}


class _EntityChecker(html.parser.HTMLParser):
    """Rejects what Telegram's HTML parser rejects: unknown tags, unbalanced
    tags, a bare '&' that is no entity, a '<' that starts no tag."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.stack = []
        self.error = None

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.error = "unsupported start tag \"%s\"" % tag
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.error = "can't find end tag corresponding to start tag"
        else:
            self.stack.pop()

    def handle_entityref(self, name):
        if name not in ("lt", "gt", "amp", "quot"):
            self.error = "unsupported entity \"&%s;\"" % name


def check_html(text):
    """None if Telegram would parse the text, else the reason."""
    # A '&' not followed by name; or a '<' not followed by a tag is an error.
    i = 0
    while True:
        i = text.find("&", i)
        if i < 0:
            break
        j = text.find(";", i)
        name = text[i + 1:j] if j > 0 else ""
        if not name or not (name.isalnum() or (name.startswith("#") and name[1:].isdigit())):
            return "character '&' is reserved and must be escaped"
        i = j
    i = 0
    while True:
        i = text.find("<", i)
        if i < 0:
            break
        nxt = text[i + 1:i + 2]
        if not (nxt.isalpha() or nxt == "/"):
            return "unexpected character '<'"
        i += 1
    p = _EntityChecker()
    p.feed(text)
    p.close()
    if p.error is None and p.stack:
        p.error = "can't find end tag corresponding to start tag \"%s\"" % p.stack[-1]
    return p.error


def visible_length(text, parse_mode):
    """Characters after entity parsing, counted like Telegram (UTF-16 units)."""
    if parse_mode == "HTML":
        import re
        import html as h
        text = h.unescape(re.sub(r"<[^>]*>", "", text))
    return len(text.encode("utf-16-le")) // 2


class FakeTelegram:
    def __init__(self, token="123456:TEST-token", chat_id="4242"):
        self.token, self.chat_id = token, chat_id
        self.default = "ok"
        self._script = []
        self._requests = []
        self._lock = threading.Lock()
        self._next_message_id = 1
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                fake._handle(self)

            def do_GET(self):
                fake._send(self, 404, {"ok": False, "error_code": 404,
                                       "description": "Not Found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    # -- control -------------------------------------------------------------
    def script(self, answers):
        with self._lock:
            self._script.extend(answers)

    def requests(self):
        with self._lock:
            return list(self._requests)

    def delivered(self):
        """Texts Telegram accepted, in order."""
        return [r["body"].get("text") for r in self.requests() if r["answer"] == "ok"]

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- serving ---------------------------------------------------------------
    @staticmethod
    def _send(handler, status, obj):
        data = json.dumps(obj).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout): like the real server, nothing to do

    def _error(self, handler, status, description, **extra):
        obj = {"ok": False, "error_code": status, "description": description}
        obj.update(extra)
        self._send(handler, status, obj)

    def _handle(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            body = {"_raw": raw.decode("latin-1")}
        with self._lock:
            mode = self._script.pop(0) if self._script else self.default
            record = {"path": handler.path, "body": body, "answer": None, "at": time.monotonic()}
            self._requests.append(record)
        if mode.startswith("slow:"):
            time.sleep(float(mode.split(":", 1)[1]))
            mode = "ok"
        record["answer"] = self._answer(handler, mode, body)

    def _answer(self, handler, mode, body):
        if handler.path != "/bot%s/sendMessage" % self.token:
            self._error(handler, 401 if handler.path.startswith("/bot") else 404,
                        "Unauthorized" if handler.path.startswith("/bot") else "Not Found")
            return "unauthorized"
        if mode.startswith("429"):
            after = int(mode.split(":", 1)[1]) if ":" in mode else 1
            self._error(handler, 429, "Too Many Requests: retry after %d" % after,
                        parameters={"retry_after": after})
            return "429"
        if mode == "403":
            self._error(handler, 403, "Forbidden: bot was blocked by the user")
            return "403"
        if mode in ("500", "502", "503"):
            self._error(handler, int(mode), "Bad Gateway" if mode == "502" else "Internal Server Error")
            return mode
        if mode.startswith("echo:"):
            filler = "x" * int(mode.split(":", 1)[1])
            self._error(handler, 502, "Bad Gateway: %s upstream refused %s"
                        % (filler, handler.path))
            return "echo"
        if mode == "400parse":
            self._error(handler, 400, "Bad Request: can't parse entities: unexpected end tag")
            return "400parse"
        return self._validate_and_accept(handler, body)

    def _validate_and_accept(self, handler, body):
        if str(body.get("chat_id")) != self.chat_id:
            self._error(handler, 400, "Bad Request: chat not found")
            return "400chat"
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            self._error(handler, 400, "Bad Request: message text is empty")
            return "400empty"
        mode = body.get("parse_mode")
        if mode == "HTML":
            why = check_html(text)
            if why:
                self._error(handler, 400, "Bad Request: can't parse entities: " + why)
                return "400parse"
        if visible_length(text, mode) > 4096:
            self._error(handler, 400, "Bad Request: message is too long")
            return "400long"
        with self._lock:
            mid = self._next_message_id
            self._next_message_id += 1
        self._send(handler, 200, {"ok": True, "result": {
            "message_id": mid, "date": int(time.time()),
            "chat": {"id": int(self.chat_id) if self.chat_id.lstrip("-").isdigit() else 0},
            "text": text}})
        return "ok"
