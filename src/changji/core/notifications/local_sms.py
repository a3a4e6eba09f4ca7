"""A local SMS provider that speaks Aliyun SendSms (``aliyun_sms``): for tests, the benchmark and the demo.

A real socket and a real HTTP server (``http.server.ThreadingHTTPServer``, HTTP/1.1 keep-alive). For each
request it does what the provider does before sending a text: it parses the form body (or the query of a GET),
checks the common parameters (``Action=SendSms``, ``Version=2017-05-25``, ``SignatureMethod=HMAC-SHA1``,
``SignatureVersion=1.0``, ``Format``), the ``Timestamp`` (within 15 minutes) and the ``SignatureNonce`` (never
twice), **verifies the signature** with the AccessKey secret of the ``AccessKeyId`` (the string to sign rebuilt
from the parameters as received), checks the phone number and the template parameters, and answers in the
provider's JSON: ``{"Code": "OK", "Message": "OK", "BizId": "…", "RequestId": "…"}``, or an error code:
``SignatureDoesNotMatch`` (400), ``InvalidAccessKeyId.NotFound`` (404), ``isv.MOBILE_NUMBER_ILLEGAL``,
``isv.BUSINESS_LIMIT_CONTROL`` (a number in ``throttled``), ``isv.TEMPLATE_MISSING_PARAMETERS``, or an HTTP 500
while ``fail_next`` is above zero. Accepted texts are kept in ``received``.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from changji.core.notifications import aliyun_sms

MOBILE = re.compile(r"1[3-9]\d{9}")
CLOCK_SKEW = timedelta(minutes=15)


@dataclass
class Sent:
    phone: str
    sign_name: str
    template_code: str
    params: dict[str, Any]
    out_id: str
    biz_id: str


@dataclass
class Provider:
    """The provider's state: its accounts (AccessKeyId → secret), what it accepted and the faults to inject."""

    secrets: dict[str, str]
    received: list[Sent] = field(default_factory=list)
    throttled: set[str] = field(default_factory=set)
    fail_next: int = 0
    requests: int = 0
    rejected: list[str] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, method: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The HTTP status and JSON answer to one request."""
        request_id = str(uuid.uuid4()).upper()
        with self.lock:
            self.requests += 1
            if self.fail_next > 0:
                self.fail_next -= 1
                return 500, {"Code": "InternalError", "Message": "The request processing has failed.",
                             "RequestId": request_id}
        refused = self._check(method, params)
        if refused is not None:
            status, code, message = refused
            with self.lock:
                self.rejected.append(code)
            return status, {"Code": code, "Message": message, "RequestId": request_id}
        biz_id = f"{uuid.uuid4().int % 10**15:015d}^0"
        with self.lock:
            self.received.append(Sent(params["PhoneNumbers"], params["SignName"], params["TemplateCode"],
                                      json.loads(params["TemplateParam"]), params.get("OutId", ""), biz_id))
        return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": request_id}

    def _check(self, method: str, params: dict[str, str]) -> tuple[int, str, str] | None:
        fixed = {"Action": "SendSms", "Version": aliyun_sms.API_VERSION, "SignatureMethod": "HMAC-SHA1",
                 "SignatureVersion": "1.0", "Format": "JSON"}
        for name, value in fixed.items():
            if params.get(name) != value:
                return 400, "MissingParameter" if name not in params else "InvalidParameter", f"{name} is invalid"
        for name in ("AccessKeyId", "Signature", "SignatureNonce", "Timestamp", "PhoneNumbers", "SignName",
                     "TemplateCode", "TemplateParam"):
            if not params.get(name):
                return 400, f"MissingParameter.{name}", f"{name} is mandatory for this action."
        secret = self.secrets.get(params["AccessKeyId"])
        if secret is None:
            return 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
        unsigned = {name: value for name, value in params.items() if name != "Signature"}
        if aliyun_sms.signature(secret, method, unsigned) != params["Signature"]:
            return 400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."
        return self._check_request(params)

    def _check_request(self, params: dict[str, str]) -> tuple[int, str, str] | None:
        try:
            at = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return 400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."
        if abs(datetime.now(UTC) - at) > CLOCK_SKEW:
            return 400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
        with self.lock:
            if params["SignatureNonce"] in self.nonces:
                return 400, "SignatureNonceUsed", "Specified signature nonce was used already."
            self.nonces.add(params["SignatureNonce"])
        if not MOBILE.fullmatch(params["PhoneNumbers"]):
            return 200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"
        if params["PhoneNumbers"] in self.throttled:
            return 200, "isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:10"
        try:
            template = json.loads(params["TemplateParam"])
        except ValueError:
            return 200, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值"
        if not isinstance(template, dict) or not all(isinstance(v, str) for v in template.values()):
            return 200, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值"
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _params(self) -> dict[str, str]:
        query = urlsplit(self.path).query
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        return dict(parse_qsl(body or query, keep_blank_values=True))

    def _reply(self, method: str) -> None:
        status, answer = self.server.provider.answer(method, self._params())
        data = json.dumps(answer, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802  (http.server's name)
        self._reply("POST")

    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        self._reply("GET")

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the texts hold phone numbers
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], provider: Provider) -> None:
        super().__init__(address, _Handler)
        self.provider = provider


class LocalSmsServer:
    """Run a ``Provider`` on ``host:port`` (0: a free port) in a thread; ``url`` is its endpoint."""

    def __init__(self, secrets: dict[str, str], host: str = "127.0.0.1", port: int = 0) -> None:
        self.provider = Provider(dict(secrets))
        self._server = _Server((host, port), self.provider)
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-sms", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> LocalSmsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalSmsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """Run the local provider in the foreground: ``python -m changji.core.notifications.local_sms --port 9100``."""
    import argparse  # deferred: only the command line needs it

    parser = argparse.ArgumentParser(description="A local SMS provider speaking Aliyun SendSms (for tests and demos)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--key", action="append", default=[], metavar="ID:SECRET", help="an AccessKey pair")
    options = parser.parse_args(argv)
    secrets = dict(pair.split(":", 1) for pair in options.key) or {"LTAI-local": "local-secret"}
    server = _Server((options.host, options.port), Provider(secrets))
    print(f"local SMS provider on http://{options.host}:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
