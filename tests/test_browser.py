"""Every demo report in a real browser: headless Chromium with the network cut
off, no console errors, no requests leaving the machine, and a screenshot."""
import re
import shutil
import subprocess

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
