"""Every demo report in a real browser: headless Chromium with the network cut
off, no console errors, no requests leaving the machine, and a screenshot; and
the reports of hostile user text (tests/test_literal.py) behind a recording
proxy: no request leaves the machine and no javascript: URL is in the DOM."""
import contextlib
import html
import http.server
import re
import shutil
import subprocess
import threading

import pytest

from conftest import make_params
from servicekpi.demo import TEAMS
from servicekpi.runner import run_reports

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; "
                             ".ci/run installs it): browser checks skipped")
# Chromium's own background traffic, not the page's
BROWSER_HOSTS = re.compile(r"https?://([a-z0-9-]+\.)*(google|gstatic|googleapis|gvt1)\.com")


def open_page(page, tmp_path, name):
    """Load a page in headless Chromium with the network disabled.

    Returns (console messages, URLs the page tried to fetch from the network,
    screenshot path)."""
    shot = tmp_path / "screens" / f"{name}.png"
    shot.parent.mkdir(exist_ok=True)
    netlog = tmp_path / f"{name}.netlog.json"
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / ('profile-' + name)}",
         "--proxy-server=127.0.0.1:9", f"--log-net-log={netlog}", "--enable-logging=stderr",
         "--v=0", "--window-size=1280,1800", "--virtual-time-budget=3000",
         f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    console = [ln for ln in proc.stderr.splitlines() if ":CONSOLE" in ln]
    urls = set(re.findall(r'"url":"(https?://[^"]+)"', netlog.read_text())) if netlog.exists() \
        else set()
    return console, {u for u in urls if not BROWSER_HOSTS.match(u)}, shot


def test_the_check_catches_errors_and_network_requests(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><script src="https://cdn.example.com/x.js">'
                   '</script></head><body><img src="https://example.com/x.png">'
                   '<script>console.error("boom"); undefinedFn();</script></body></html>')
    console, urls, shot = open_page(bad, tmp_path, "bad")
    assert any("boom" in ln for ln in console) and any("undefinedFn" in ln for ln in console)
    assert {"https://cdn.example.com/x.js", "https://example.com/x.png"} <= urls
    assert shot.stat().st_size > 1000


@pytest.fixture(scope="module")
def all_reports(tmp_path_factory, demo_dir):
    root = tmp_path_factory.mktemp("browser")
    names = {t.team: t.name for t in TEAMS}
    names["complaints"] = "投诉处理中心 (Complaints desk)\nlanguage: zh"   # as in params/
    params = make_params(root, demo_dir, {team: f"team: {team}\ndisplay_name: {name}\n"
                                          for team, name in names.items()})
    summary = run_reports(params, root / "reports", workers=2, progress=False)
    assert all(r.outcome == "ok" for r in summary.results), \
        [(r.team, r.error) for r in summary.results]
    return root / "reports"


@pytest.mark.e2e
def test_no_errors_or_warnings_in_any_report(all_reports):
    import json
    notebooks = [all_reports / "overview.ipynb", *sorted((all_reports / "teams").glob("*.ipynb"))]
    assert len(notebooks) == len(TEAMS) + 1
    for nb in notebooks:
        cells = json.loads(nb.read_text())["cells"]
        noise = [o.get("text") or o.get("evalue") for c in cells for o in c.get("outputs", [])
                 if o["output_type"] == "error" or o.get("name") == "stderr"]
        assert not noise, f"{nb.name}: {noise[:2]}"
    assert "摘要" in (all_reports / "teams" / "complaints.html").read_text()


@pytest.mark.e2e
def test_every_report_renders_offline(all_reports, tmp_path):
    pages = [all_reports / "index.html", all_reports / "overview.html",
             *sorted((all_reports / "teams").glob("*.html"))]
    assert len(pages) == len(TEAMS) + 2
    for page in pages:
        console, urls, shot = open_page(page, tmp_path, page.stem)
        assert not console, f"{page.name}: console messages {console}"
        assert not urls, f"{page.name}: tried to load {sorted(urls)}"
        assert shot.stat().st_size > 20_000, f"{page.name}: screenshot looks empty"
        text = page.read_text()
        assert not re.search(r'(src|href)="https?://', text), page.name


# ------------------------------------------------- hostile user text (issue 11)
class _Recorder(http.server.BaseHTTPRequestHandler):
    """An HTTP proxy that answers nothing and records every request it gets."""

    def _record(self):
        self.server.seen.append(f"{self.command} {self.path}")
        self.send_response(404)
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_CONNECT = do_PUT = do_OPTIONS = _record

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def recording_proxy():
    """A local proxy for Chromium: any request a page makes, to any host
    (evil.example included, loopback included), arrives here."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def page_dom(page, tmp_path, name, proxy) -> tuple[str, list[str]]:
    """The page's DOM after loading it in headless Chromium whose only route out
    is ``proxy``; and the requests the proxy received (Chromium's own
    background traffic left out)."""
    port = proxy.server_address[1]
    try:
        proc = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / ('dom-' + name)}",
             f"--proxy-server=http://127.0.0.1:{port}", "--proxy-bypass-list=<-loopback>",
             "--virtual-time-budget=3000", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{page.name} never finished loading: a script on it (an alert() "
                    "dialog from markup in user text?) holds the page")
    seen = [r for r in proxy.seen if not BACKGROUND_HOST.search(_host(r.split(" ", 1)[1]))]
    return proc.stdout, seen


BACKGROUND_HOST = re.compile(r"(^|\.)(google|gstatic|googleapis|gvt1)\.com$")


def _host(target: str) -> str:
    """The host of a proxy request's target: ``http://host/path`` or ``host:443``."""
    from urllib.parse import urlsplit
    return (urlsplit(target).hostname if "://" in target else target.rsplit(":", 1)[0]) or ""


JS_URL = re.compile(r"""\b(href|src|action|formaction|xlink:href)\s*=\s*["']?\s*javascript:""",
                    re.I)


def test_the_request_and_javascript_checks_catch_them(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><p>hi</p><img src="http://evil.example/p.png">'
                   '<a href="javascript:alert(3)">x</a></body></html>')
    with recording_proxy() as proxy:
        dom, seen = page_dom(bad, tmp_path, "bad", proxy)
    assert "<p>hi</p>" in dom and JS_URL.search(dom)
    assert any("evil.example" in r for r in seen), seen


@pytest.fixture(scope="module")
def hostile_reports(tmp_path_factory, demo_dir):
    from test_literal import hostile_batch
    summary, out = hostile_batch(tmp_path_factory, demo_dir)
    assert summary.overview.outcome == "ok" and all(r.outcome == "ok" for r in summary.results)
    return out


@pytest.mark.e2e
def test_hostile_text_makes_no_request_and_no_javascript_url(hostile_reports, tmp_path):
    from test_literal import DISPLAY
    pages = [hostile_reports / "index.html", hostile_reports / "overview.html",
             *sorted((hostile_reports / "teams").glob("*.html"))]
    assert len(pages) == 4
    with recording_proxy() as proxy:
        for page in pages:
            dom, seen = page_dom(page, tmp_path, page.stem[:40], proxy)
            assert "</body>" in dom, f"{page.name}: no DOM"
            assert not seen, f"{page.name}: requests left the machine: {seen}"
            assert not JS_URL.search(dom), f"{page.name}: a javascript: URL in the DOM"
            assert not re.search(r"<img\b[^>]*\bsrc=\"(?!data:)", dom), page.name
    overview = (hostile_reports / "overview.html").read_text()
    assert html.escape(DISPLAY, quote=False) in overview
