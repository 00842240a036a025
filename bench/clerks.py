"""Simulated clerks for ``bench.rush``: a browser-like HTTP client (its own keep-alive connection and
cookies, the CSRF token read from the page as a browser's form would send it), the reporter's flow
of the 5th of the month, the ``/login`` yardstick, and the percentiles of what they timed.

Only loopback addresses are driven; every request has a socket timeout and every flow stops at the
run's deadline, so a run ends by itself.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import re
import statistics
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_VERSION = re.compile(r'name="base_version" value="(\d+)"')
_ROW = re.compile(r'data-indicator-id="(\d+)"[^>]*?data-comparator="([A-Z]+)"[^>]*?data-low="([^"]*)"')
#: What a clerk picks for a 定性 indicator and for 完成目标可能性.
GRADE, LIKELIHOOD = "达成", "确定能"


def require_loopback(host: str) -> None:
    """The bench drives servers on this machine only."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise SystemExit(f"bench.rush drives loopback addresses only, not {host}")


class Failed(Exception):
    """A request that did not answer as the flow expects."""


@dataclass
class Sample:
    kind: str
    seconds: float
    ok: bool
    note: str = ""


@dataclass
class Recorder:
    """Every timed request of a run (list.append is atomic under the GIL)."""

    samples: list[Sample] = field(default_factory=list)

    def add(self, kind: str, seconds: float, ok: bool, note: str = "") -> None:
        self.samples.append(Sample(kind, seconds, ok, note))


class Browser:
    """One clerk's browser: a keep-alive connection to the server and its cookies."""

    def __init__(
        self,
        host: str,
        port: int,
        recorder: Recorder,
        timeout: float = 120.0,
        cpu: Callable[[], float] | None = None,
    ):
        require_loopback(host)
        self.host, self.port, self.timeout = host, port, timeout
        self.recorder = recorder
        #: The server's CPU seconds so far: with it, each request's cost is recorded too (``kind cpu``).
        self.cpu = cpu
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]):
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            reused = self.connection is not None
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                # A kept-alive connection the server closed while idle: it never read this request.
                if reused and attempt == 1:
                    continue
                raise
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response, data
        raise AssertionError("unreachable")

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        form: Iterable[tuple[str, str]] | None = None,
        payload: object = None,
        csrf: str | None = None,
        expect: int = 200,
    ) -> bytes:
        """Send one request, timed as ``kind``; a status other than ``expect`` raises :class:`Failed`."""
        headers = {"Host": f"{self.host}:{self.port}", "Accept-Language": "zh-CN,zh"}
        body = None
        if form is not None:
            body = urlencode(list(form)).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        if csrf:
            headers["X-CSRFToken"] = csrf
        cpu = self.cpu() if self.cpu else 0.0
        started = time.perf_counter()
        try:
            response, data = self._send(method, path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            self.recorder.add(kind, time.perf_counter() - started, False, type(exc).__name__)
            raise Failed(f"{kind}: {type(exc).__name__}") from exc
        seconds = time.perf_counter() - started
        if self.cpu:
            self.recorder.add(kind + " cpu", self.cpu() - cpu, True)
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or not value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        ok = response.status == expect
        self.recorder.add(kind, seconds, ok, "" if ok else f"HTTP {response.status}")
        if not ok:
            raise Failed(f"{kind}: HTTP {response.status} {data[:200]!r}")
        return data


def csrf_token(page: bytes) -> str:
    match = _CSRF.search(page.decode())
    if match is None:
        raise Failed("no csrf_token on the page")
    return match.group(1)


def log_in(browser: Browser, username: str, password: str) -> None:
    token = csrf_token(browser.request("login GET", "GET", "/login"))
    form = [("csrf_token", token), ("username", username), ("password", password)]
    browser.request("login POST", "POST", "/login", form=form, expect=302)


def _number(comparator: str, low: str) -> str:
    """A value that meets the target (a green lamp), as a clerk would type it."""
    target = Decimal(low or "1")
    if comparator in ("LE", "LT"):
        value = target / 2
    elif comparator == "GT":
        value = target * Decimal("1.1")
    else:
        value = target
    return format(value.quantize(Decimal("0.01")).normalize(), "f")


@dataclass
class Form:
    """What a clerk reads off the report form: the token, the version and the rows to fill."""

    token: str
    version: int
    rows: list[tuple[int, str, str]]

    def values(self, scale: str = "1") -> list[tuple[str, str]]:
        """实际完成值, 全年预计 and 可能性 of every row; ``scale`` varies the numbers between saves."""
        out = []
        for indicator, comparator, low in self.rows:
            if comparator == "QUALITATIVE":
                out += [(f"i{indicator}.actual", GRADE), (f"i{indicator}.forecast", GRADE)]
            else:
                number = _number(comparator, low)
                if scale != "1":
                    number = format((Decimal(number) * Decimal(scale)).quantize(Decimal("0.01")), "f")
                out += [(f"i{indicator}.actual", number), (f"i{indicator}.forecast", number)]
            out.append((f"i{indicator}.likelihood", LIKELIHOOD))
        return out


def read_form(page: bytes) -> Form:
    text = page.decode()
    version = _VERSION.search(text)
    rows = [(int(i), comparator, low) for i, comparator, low in _ROW.findall(text)]
    if version is None or not rows:
        raise Failed("the report form has no version or no rows")
    return Form(csrf_token(page), int(version.group(1)), rows)


def clerk_flow(browser: Browser, username: str, password: str, unit: str, year: int, month: int) -> None:
    """登录 → the month's form → 3 live lamps → 保存草稿 → 提交审核, as the form's page sends them."""
    path = f"/reports/{unit}/{year}/{month}"
    log_in(browser, username, password)
    form = read_form(browser.request("form GET", "GET", path))
    for indicator, comparator, low in form.rows[:3]:
        typed = GRADE if comparator == "QUALITATIVE" else _number(comparator, low)
        payload = {"indicator_id": indicator, "values": {"actual": typed}}
        browser.request("lamp POST", "POST", path + "/lamp", payload=payload, csrf=form.token)
    values = form.values()
    save = [("csrf_token", form.token), ("base_version", str(form.version)), ("action", "save")]
    browser.request("save POST", "POST", path, form=save + values, expect=302)
    # The version the save made (a new report starts at 1), as the page after it would carry.
    version = form.version + 1 if form.version else 1
    submit = [("csrf_token", form.token), ("base_version", str(version)), ("action", "submit")]
    submit.append(("confirm_plausible", "1"))
    browser.request("submit POST", "POST", path, form=submit + values, expect=302)


#: Requests of one clerk's flow (the yardstick's clerks send as many GET /login each).
FLOW_REQUESTS = 8


def yardstick_flow(browser: Browser) -> None:
    for _ in range(FLOW_REQUESTS):
        browser.request("yardstick GET /login", "GET", "/login")


@dataclass
class Crowd:
    """The outcome of N clerks started at once."""

    recorder: Recorder
    seconds: float
    flows: int
    failed: int
    failures: list[str]


def crowd(
    host: str, port: int, flows: list[Callable[[Browser], None]], deadline: float, timeout: float = 120.0
) -> Crowd:
    """Run every flow in its own thread, all released at once; each stops at its first failure.
    Threads still running at ``deadline`` (a monotonic time) are left to their socket timeout."""
    recorder = Recorder()
    barrier = threading.Barrier(len(flows) + 1)
    outcomes: list[str | None] = [None] * len(flows)
    done = [False] * len(flows)

    def run(index: int, flow: Callable[[Browser], None]) -> None:
        browser = Browser(host, port, recorder, timeout=min(timeout, max(1.0, deadline - time.monotonic())))
        barrier.wait()
        try:
            flow(browser)
            done[index] = True
        except Failed as exc:
            outcomes[index] = str(exc)
        finally:
            browser.close()

    threads = [threading.Thread(target=run, args=(i, f), daemon=True) for i, f in enumerate(flows)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    seconds = time.perf_counter() - started
    failures = [o for o in outcomes if o]
    unfinished = sum(1 for i, t in enumerate(threads) if t.is_alive() and not done[i])
    if unfinished:
        failures.append(f"{unfinished} flows unfinished at the deadline")
    return Crowd(recorder, seconds, sum(done), len(flows) - sum(done), failures)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]
