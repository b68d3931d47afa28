"""A real browser for the web page steps: one Chromium per worker process, a fresh
context (cookies, storage) per scenario, elements found by what a person reads.

The engine is Playwright driving Debian's Chromium (``executable_path``): Playwright
cannot download a browser of its own here, and Selenium with ``chromium-driver``
isolates scenarios only by a new session (a new browser, ~1.4 s) where a Playwright
context costs tens of milliseconds (``bench/browser/``).

- :class:`Engine` (one per worker, on ``context.interlock``): starts the browser on
  the first web page step and reuses it; Playwright starts Chromium as the leader of
  a process group of its own, with its renderer, GPU and zygote processes in it, so
  the group is recorded in the environment's run folder (like a per-worker service)
  and ended as a whole: in ``after_all``, when the run dies (``kill``), and by
  ``interlock run`` when the worker was killed. Chromium's crash handlers leave the
  group: they are found by the config folder each browser gets, and ended with it.
- :class:`Screen` (one per scenario, ``context.browser``): the scenario's page, opened
  on first use; each step action runs through :meth:`Screen.step`, which waits, turns
  Playwright's errors into failures that name what was looked for and what is there
  instead, and attaches evidence: a screenshot after the step (or only on failure),
  and on failure the page's HTML, its console and its failed requests. Secrets are
  masked in all of it: text by the masker, pixels by painting over every password
  field and every field filled with a secret before the screenshot is taken.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import secrets as _secrets
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import allure

from interlock.config_models import BrowserSettings
from interlock.environment.processes import cmdline, end_group, group_members
from interlock.environment.runtime import (
    WorkerProcess,
    forget_worker_process,
    record_worker_process,
)
from interlock.errors import InterlockError
from interlock.evidence import attach_text
from interlock.masking import Masker

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page, Playwright

DEBIAN_CHROMIUM = Path("/usr/lib/chromium/chromium")  # /usr/bin/chromium is a wrapper script
INSTALL = "apt-get install -y --no-install-recommends chromium (or: make browser)"
MARK = "--interlock-browser="  # a switch Chromium ignores: it finds the browser's process
SUGGESTIONS = 5
MASK_COLOR = "#FF00FF"
DOM_WATCH = """
window.__interlockChanged = Date.now();
new MutationObserver(() => { window.__interlockChanged = Date.now(); })
  .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""
ADD_JS = """const out = [];
  const add = t => {
    t = (t || '').replace(/\\s+/g, ' ').trim();
    if (t && t.length < 100) out.push(t);
  };"""
LABELS_JS = (
    """() => {
  """
    + ADD_JS
    + """
  document.querySelectorAll('label').forEach(e => add(e.innerText));
  document.querySelectorAll('[aria-label]').forEach(e => add(e.getAttribute('aria-label')));
  document.querySelectorAll('[placeholder]').forEach(e => add(e.getAttribute('placeholder')));
  document.querySelectorAll('dt, th').forEach(e => add(e.innerText));
  return out;
}"""
)
CLICKABLE_JS = (
    """() => {
  """
    + ADD_JS
    + """
  document.querySelectorAll('button, a[href], [role=button], [role=link]')
    .forEach(e => add(e.innerText || e.getAttribute('aria-label')));
  document.querySelectorAll('input[type=submit], input[type=button]').forEach(e => add(e.value));
  return out;
}"""
)
TEXTS_JS = """() => (document.body ? document.body.innerText : '').split('\\n')
  .map(t => t.replace(/\\s+/g, ' ').trim()).filter(t => t && t.length < 200)"""
TABLE_JS = """table => {
  const text = e => (e.innerText || '').replace(/\\s+/g, ' ').trim();
  let head = table.querySelector('thead tr') || table.querySelector('tr');
  const headers = head ? [...head.children].map(text) : [];
  const rows = [...table.querySelectorAll('tr')].filter(r => r !== head && r.querySelector('td'))
    .map(r => [...r.children].map(text));
  return {headers, rows};
}"""
NEXT_TEXT_JS = """e => {
  const n = e.nextElementSibling;
  return n ? (n.innerText || n.value || '').trim() : null;
}"""


class BrowserUnavailable(InterlockError):
    """The browser could not be started: not installed, or it failed to launch."""


class PageFailure(AssertionError):
    """A web page step found no element, several where it must act on one, or a text
    that should not be there; the message names what was looked for and what is there."""


def chromium_path(configured: Path | None) -> Path:
    """The Chromium to drive: ``browser.executable``, else Debian's, else PATH's."""
    if configured is not None:
        if not configured.is_file():
            raise BrowserUnavailable(
                f"browser.executable names {configured}, which does not exist",
                hint=f"point it at a Chromium binary, or leave it empty and install: {INSTALL}",
            )
        return configured
    if DEBIAN_CHROMIUM.is_file():
        return DEBIAN_CHROMIUM
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return Path(found)
    raise BrowserUnavailable(
        "web page steps need Chromium, and it is not installed",
        hint=f"install it as root: {INSTALL}; or set browser.executable",
    )


def _processes_with(text: str) -> list[int]:
    """The live processes whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if text.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


def _group_of(mark: str, timeout: float = 5.0) -> int:
    """The pid of the browser process started with ``mark``, which leads its group."""
    deadline = time.monotonic() + timeout
    while True:
        for pid in _processes_with(mark):
            with contextlib.suppress(OSError):
                if os.getpgid(pid) == pid:
                    return pid
        if time.monotonic() > deadline:
            return 0
        time.sleep(0.02)


class Engine:
    """This worker process's browser: started by the first web page step, then reused."""

    def __init__(
        self,
        settings: BrowserSettings,
        run_dir: str | None,
        say: Callable[[str], None],
        worker: str = "",
    ) -> None:
        self.settings = settings
        self.run_dir = Path(run_dir) if run_dir else None
        self._say = say
        self.worker = worker or f"pid{os.getpid()}"
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self.pgid = 0  # the browser's process group, 0 before it started
        self._home: Path | None = None  # its config folder (and its crash handlers')
        self.started_in = 0.0  # seconds the last start took (for the bench)

    @property
    def running(self) -> bool:
        return self._browser is not None

    def browser(self) -> Browser:
        if self._browser is not None and not self._browser.is_connected():
            self._say(f"the browser (worker {self.worker}) had gone; starting another")
            self.close()
        if self._browser is None:
            self._start()
        assert self._browser is not None
        return self._browser

    def _start(self) -> None:
        executable = chromium_path(self.settings.executable)
        try:
            from playwright.sync_api import Error, sync_playwright
        except ImportError:  # pragma: no cover - a broken install
            raise BrowserUnavailable(
                "web page steps need the Python package playwright", hint="run: make setup"
            ) from None
        started = time.monotonic()
        mark = f"{MARK}{os.getpid()}-{_secrets.token_hex(4)}"
        # Chromium's crash handlers leave its process group (and the switch that stops
        # them breaks navigation): a config folder of their own names them.
        self._home = Path(tempfile.mkdtemp(prefix="interlock-browser-", dir=self.run_dir))
        try:
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=str(executable),
                headless=self.settings.headless,
                timeout=30_000,
                args=["--disable-gpu", mark],
                env={**os.environ, "XDG_CONFIG_HOME": str(self._home)},
            )
        except Error as exc:
            self.close()
            raise BrowserUnavailable(
                f"the browser {executable} did not start: {_first_line(exc)}",
                hint=f"check it runs: {executable} --headless --dump-dom about:blank;"
                f" reinstall with: {INSTALL}",
            ) from None
        self.pgid = _group_of(mark)
        if self.run_dir is not None:
            for pid in [self.pgid, *self._crash_handlers()]:
                if pid:
                    record = WorkerProcess("browser", pid, cmdline(pid), os.getpid())
                    record_worker_process(self.run_dir, record)
        self.started_in = time.monotonic() - started
        self._say(
            f"browser (worker {self.worker}) up, process group {self.pgid},"
            f" in {self.started_in:.2f} s"
        )

    def new_context(self) -> BrowserContext:
        width, height = (int(n) for n in self.settings.viewport.split("x"))
        context = self.browser().new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(self.settings.timeout * 1000)
        context.add_init_script(DOM_WATCH)
        return context

    def close(self) -> None:
        """Close the browser, then end its process group whatever happened to the driver
        (a step cut short by Ctrl-C or the time limit may have broken it)."""
        browser, playwright, self._browser, self._playwright = (
            self._browser,
            self._playwright,
            None,
            None,
        )
        with contextlib.suppress(Exception):
            if browser is not None:
                browser.close()
        with contextlib.suppress(Exception):
            if playwright is not None:
                playwright.stop()
        self._end_group()

    def kill(self) -> None:
        """SIGKILL the browser's group at once: for a worker about to die (its run died)."""
        if self.pgid:
            with contextlib.suppress(OSError):
                os.killpg(self.pgid, signal.SIGKILL)
        for pid in self._crash_handlers():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def _crash_handlers(self) -> list[int]:
        return _processes_with(str(self._home)) if self._home is not None else []

    def _end_group(self) -> None:
        handlers = self._crash_handlers()
        for pid in handlers:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if self.pgid and group_members(self.pgid):
            end_group(self.pgid)
        if self.run_dir is not None:
            for pid in [self.pgid, *handlers]:
                if pid:
                    forget_worker_process(self.run_dir, pid)
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
        self.pgid, self._home = 0, None


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", "") or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass
class Screen:
    """The browser of one scenario: its context and page, opened on first use."""

    engine: Engine
    settings: BrowserSettings
    masker: Masker
    service_url: Callable[[str], str]  # a configured service's address in this run
    _context: BrowserContext | None = None
    _page: Page | None = None
    secret_fields: list[Locator] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    _pending: int = 0
    _network_at: float = 0.0
    context_ms: float = 0.0  # how long the context took to open (for the bench)

    @property
    def used(self) -> bool:
        """Whether this scenario opened a page."""
        return self._page is not None

    @property
    def page(self) -> Page:
        if self._page is None:
            started = time.monotonic()
            self._context = self.engine.new_context()
            page = self._context.new_page()
            self.context_ms = (time.monotonic() - started) * 1000
            page.on("console", self._on_console)
            page.on("request", self._on_request)
            page.on("requestfinished", self._on_request_done)
            page.on("requestfailed", self._on_request_failed)
            page.on("response", self._on_response)
            self._page = page
        return self._page

    def close(self) -> None:
        context, self._context, self._page = self._context, None, None
        if context is not None:
            try:
                context.close()
            except Exception:  # a driver broken by an interruption: start afresh next time
                self.engine.close()

    # -- what the page did ----------------------------------------------------------------

    def _on_console(self, message: Any) -> None:
        self.console.append(f"[{message.type}] {message.text}")

    def _on_request(self, _: Any) -> None:
        self._pending += 1
        self._network_at = time.monotonic()

    def _on_request_done(self, _: Any) -> None:
        self._pending = max(0, self._pending - 1)
        self._network_at = time.monotonic()

    def _on_request_failed(self, request: Any) -> None:
        self._on_request_done(request)
        self.failed_requests.append(f"{request.method} {request.url}: {request.failure}")

    def _on_response(self, response: Any) -> None:
        if response.status >= 400:
            request = response.request
            self.failed_requests.append(f"{request.method} {request.url}: HTTP {response.status}")

    # -- evidence -------------------------------------------------------------------------

    @contextlib.contextmanager
    def step(self, what: str) -> Iterator[Page]:
        """Around one step's work on the page: Playwright's errors become failures that
        say ``what`` was being done; evidence is attached after it."""
        from playwright.sync_api import Error

        try:
            try:
                yield self.page
            except Error as exc:
                raise PageFailure(self.masker.mask(f"{what}: {_first_line(exc)}")) from None
        except (KeyboardInterrupt, SystemExit):
            raise  # stopping: no evidence to wait for
        except BaseException:
            self._evidence(what, failed=True)
            raise
        self._evidence(what, failed=False)

    def _evidence(self, what: str, failed: bool) -> None:
        if self._page is None:
            return
        if failed or self.settings.screenshots == "each_step":
            with contextlib.suppress(Exception):
                state = "failed: " if failed else "after "
                self.attach_screenshot(f"screenshot {state}{what}")
        if failed:
            with contextlib.suppress(Exception):
                self._attach_failure_evidence()

    def screenshot(self) -> bytes:
        """A PNG of the page, with password fields and fields filled from a secret
        painted over."""
        page = self.page
        masks = [*self.secret_fields, page.locator("input[type=password]")]
        return page.screenshot(mask=masks, mask_color=MASK_COLOR, animations="disabled")

    def attach_screenshot(self, name: str) -> None:
        allure.attach(self.screenshot(), name=name, attachment_type=allure.attachment_type.PNG)

    def _attach_failure_evidence(self) -> None:
        page = self.page
        attach_text(self.masker, "page HTML", f"<!-- {page.url} -->\n{self.html()}")
        attach_text(self.masker, "browser console", "\n".join(self.console) or "(nothing logged)")
        attach_text(
            self.masker,
            "failed network requests",
            "\n".join(self.failed_requests) or "(none)",
        )

    def html(self) -> str:
        """The page's HTML, secrets masked."""
        page = self.page
        return self.masker.mask(page.content())

    # -- finding things -------------------------------------------------------------------

    def open(self, service: str, path: str) -> None:
        url = self.service_url(service) + ("" if path.startswith("/") else "/") + path
        with self.step(f"opening {url}") as page:
            try:
                response = page.goto(url, timeout=self.settings.timeout * 1000)
            except Exception as exc:
                from playwright.sync_api import TimeoutError as PlaywrightTimeout

                if isinstance(exc, PlaywrightTimeout):
                    raise PageFailure(
                        f"the page {url} did not load within {self.settings.timeout:g} s"
                        " (browser.timeout)"
                    ) from None
                raise
            if response is not None and response.status >= 400:
                raise PageFailure(f"the page {url} answered HTTP {response.status}")

    def field(self, label: str) -> Locator:
        """The one field a person finds by ``label`` (its label, aria-label or placeholder)."""
        page = self.page
        exact = page.get_by_label(label, exact=True).or_(page.get_by_placeholder(label, exact=True))
        return self._one(exact, f"field labelled {label!r}", label, LABELS_JS)

    def clickable(self, text: str) -> Locator:
        page = self.page
        found = page.get_by_role("button", name=text, exact=True).or_(
            page.get_by_role("link", name=text, exact=True)
        )
        return self._one(found, f"button or link {text!r}", text, CLICKABLE_JS)

    def _one(self, locator: Locator, what: str, wanted: str, candidates_js: str) -> Locator:
        """Wait (up to browser.timeout) for ``locator``; exactly one match, else a failure
        naming the closest candidates or listing the matches."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            locator.first.wait_for(state="visible", timeout=self.settings.timeout * 1000)
        except PlaywrightTimeout:
            there = self._texts(candidates_js)
            raise PageFailure(
                f"no {what} on the page {self.page.url}"
                f" within {self.settings.timeout:g} s\n  {closest(wanted, there)}"
            ) from None
        visible = [locator.nth(i) for i in range(locator.count()) if locator.nth(i).is_visible()]
        if len(visible) > 1:
            described = "\n  - ".join(_describe(item) for item in visible)
            raise PageFailure(
                f"{len(visible)} elements on the page are a {what}, and a step acts on one:"
                f"\n  - {described}"
                "\n  name one by a text only it has (or use the CSS escape hatch of a"
                " domain step)"
            )
        return visible[0] if visible else locator.first

    def _texts(self, js: str) -> list[str]:
        with contextlib.suppress(Exception):
            found: list[str] = self.page.evaluate(js)
            return list(dict.fromkeys(found))
        return []

    def visible_text(self, text: str) -> Locator:
        return self.page.get_by_text(text).filter(visible=True)

    def settled(self) -> bool:
        """No request pending and neither the network nor the page changed for
        ``browser.settle`` seconds."""
        quiet = self.settings.settle
        if self._pending or time.monotonic() - self._network_at < quiet:
            return False
        changed_ms = self.page.evaluate("() => Date.now() - (window.__interlockChanged || 0)")
        return bool(changed_ms >= quiet * 1000)

    # -- the checks and actions the steps offer -------------------------------------------

    def fill(self, label: str, value: str) -> None:
        with self.step(f"filling in {label!r}"):
            found = self.field(label)
            if self.masker.mask(value) != value:
                self.secret_fields.append(found)
            found.fill(value)

    def choose(self, option: str, label: str) -> None:
        with self.step(f"choosing {option!r} from {label!r}"):
            found = self.field(label)
            options = [o.strip() for o in found.locator("option").all_inner_texts()]
            if option not in options:
                raise PageFailure(
                    f"{label!r} has no option {option!r}\n  {closest(option, options)}"
                )
            found.select_option(label=option)

    def click(self, text: str) -> None:
        with self.step(f"clicking {text!r}"):
            self.clickable(text).click()

    def sees(self, text: str, seconds: float | None = None) -> None:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        limit = self.settings.timeout if seconds is None else seconds
        with self.step(f"looking for {text!r}"):
            try:
                self.visible_text(text).first.wait_for(state="visible", timeout=limit * 1000)
            except PlaywrightTimeout:
                there = self._texts(TEXTS_JS)
                raise PageFailure(
                    f"{text!r} is not shown on the page {self.page.url}"
                    f" (waited {limit:g} s)\n  {closest(text, there)}"
                ) from None

    def does_not_see(self, text: str) -> None:
        """Waits until the page has settled; fails as soon as ``text`` is visible."""
        with self.step(f"checking {text!r} is not shown"):
            deadline = time.monotonic() + self.settings.timeout
            while True:
                if self.visible_text(text).count():
                    shown = self.visible_text(text).first.inner_text()
                    raise PageFailure(f"{text!r} is shown on the page {self.page.url}: {shown!r}")
                if self.settled() or time.monotonic() > deadline:
                    return
                self.page.wait_for_timeout(50)  # a poll of the page, not a guess

    def table_shows(self, caption: str, expected: Sequence[Mapping[str, str]]) -> None:
        with self.step(f"reading the table {caption!r}"):
            table = self._table(caption)
            deadline = time.monotonic() + self.settings.timeout
            while True:
                shown = table.evaluate(TABLE_JS)
                problems = table_problems(shown["headers"], shown["rows"], expected)
                if not problems or time.monotonic() > deadline:
                    break
                self.page.wait_for_timeout(100)  # a poll of the page, not a guess
            if problems:
                raise PageFailure(
                    f"the table {caption!r} on {self.page.url} does not show the rows:\n"
                    + "\n".join(problems)
                    + "\n  it shows:\n"
                    + _table_text(shown["headers"], shown["rows"])
                )

    def _table(self, caption: str) -> Locator:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        page = self.page
        by_caption = page.get_by_role("table", name=caption, exact=True)
        by_header = page.locator("table").filter(
            has=page.locator("tr:first-child > :first-child").get_by_text(caption, exact=True)
        )
        found = by_caption.or_(by_header)
        try:
            found.first.wait_for(state="visible", timeout=self.settings.timeout * 1000)
        except PlaywrightTimeout:
            captions = self._texts(
                "() => [...document.querySelectorAll('table')].map(t => t.caption ?"
                " t.caption.innerText.trim() : (t.querySelector('th,td') || {}).innerText || '')"
            )
            raise PageFailure(
                f"no table {caption!r} on the page {page.url} (a table is named by its caption"
                f" or the header of its first column)\n  {closest(caption, captions)}"
            ) from None
        return found.first

    def text_of(self, label: str) -> str:
        """The text a person reads next to ``label``: a field's value, an element labelled
        by it, or the element right after the one reading ``label`` (dt/dd, th/td)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        with self.step(f"reading the text of {label!r}"):
            page = self.page
            labelled = page.get_by_label(label, exact=True)
            beside = page.get_by_text(label, exact=True)
            try:
                labelled.or_(beside).first.wait_for(
                    state="visible", timeout=self.settings.timeout * 1000
                )
            except PlaywrightTimeout:
                there = self._texts(LABELS_JS)
                raise PageFailure(
                    f"nothing labelled {label!r} on the page {page.url}\n  {closest(label, there)}"
                ) from None
            if labelled.count():
                element = labelled.first
                tag = element.evaluate("e => e.tagName.toLowerCase()")
                if tag in ("input", "select", "textarea"):
                    return element.input_value()
                return element.inner_text().strip()
            text = beside.first.evaluate(NEXT_TEXT_JS)
            if not text:
                raise PageFailure(f"nothing is shown next to {label!r} on the page {page.url}")
            return str(text)

    def named_screenshot(self, name: str) -> None:
        with self.step(f"taking the screenshot {name!r}"):
            allure.attach(self.screenshot(), name=name, attachment_type=allure.attachment_type.PNG)


def closest(wanted: str, there: Sequence[str]) -> str:
    """The line of a failure that says what the page has instead."""
    unique = list(dict.fromkeys(there))
    if not unique:
        return "the page shows nothing of that kind"
    near = difflib.get_close_matches(wanted, unique, n=SUGGESTIONS, cutoff=0.4)
    lowered = {t.lower(): t for t in unique}
    near += [t for k, t in lowered.items() if wanted.lower() in k and t not in near]
    if near:
        return "closest on the page: " + ", ".join(repr(t) for t in near[:SUGGESTIONS])
    return "on the page: " + ", ".join(repr(t) for t in unique[: SUGGESTIONS * 2])


def table_problems(
    headers: Sequence[str], rows: Sequence[Sequence[str]], expected: Sequence[Mapping[str, str]]
) -> list[str]:
    """Each expected row (its columns a subset of the table's) that no shown row has."""
    problems = []
    for number, row in enumerate(expected, 1):
        unknown = [name for name in row if name not in headers]
        if unknown:
            return [f"  no column {', '.join(map(repr, unknown))}; the columns: {list(headers)}"]
        index = {name: headers.index(name) for name in row}
        if not any(
            all(i < len(shown) and shown[i] == row[name] for name, i in index.items())
            for shown in rows
        ):
            problems.append(f"  row {number} not found: {dict(row)}")
    return problems


def _table_text(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [" | ".join(headers)] + [" | ".join(row) for row in rows[:20]]
    if len(rows) > 20:
        lines.append(f"... and {len(rows) - 20} more rows")
    return "\n".join(f"    {line}" for line in lines)


def _describe(locator: Locator) -> str:
    with contextlib.suppress(Exception):
        described: str = locator.evaluate(
            "e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +"
            " (e.name ? ' name=' + e.name : '') + ' ' +"
            " JSON.stringify((e.innerText || e.value || '').trim().slice(0, 60))"
        )
        return described
    return "(an element)"
