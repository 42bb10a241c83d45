"""Page-ready time of the docs site in headless Chromium, on generated projects of N models.

For each N: `bench/generate.py` writes the project (reused when it is there), `elt docs generate` writes
the site (timed), then a fresh headless Chromium page opens `index.html` from file:// --repeat times.
Printed per N (medians over the repeats):

- site: the size of the files (index.html with the whole DAG as SVG, data.js)
- ready: ms from navigation start to the end of app.js's start-up (`window.ELT_READY_MS`): HTML and
  SVG parsed, data.js loaded, the list, the landing page and the graph drawn and fitted;
- painted: ms until the first frame after that (two animation frames), i.e. what the user sees;
- script: ms of app.js's start-up alone (`window.ELT_SCRIPT_MS`);
- focus: ms to open a mid-DAG model page (its focus view: 2 levels up and down, laid out in the page),
  from setting the URL hash to the frame after the page is drawn;
- search: ms for the ranked list of a search typed in the box (one `input` event), to the next frame.

Chromium is Debian's (/usr/bin/chromium, or ELT_CHROMIUM; `scripts/browser-deps` installs it),
driven by playwright. Not part of the test suite; it prints figures.

Usage: .venv/bin/python bench/docs_site.py --sizes 1000,5000 [--repeat 3] [--out /tmp/elt-bench/docs]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("ELT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
NEXT_FRAME = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))"


def build_site(models: int, out: Path) -> tuple[Path, float]:
    project = out / f"n{models}"
    if not (project / "pyproject.toml").is_file():
        subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), "--models", str(models),
                        "--out", str(project)], check=True, stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "elt", "docs", "generate"], cwd=project, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return project / "target" / "docs", time.perf_counter() - started


def measure(browser: Any, site: Path, focus_uid: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto((site / "index.html").as_uri())
    page.wait_for_function("window.ELT_READY_MS !== undefined", timeout=120_000)
    painted = page.evaluate(NEXT_FRAME)
    ready, script = page.evaluate("[window.ELT_READY_MS, window.ELT_SCRIPT_MS]")
    focus = page.evaluate("""async (uid) => {
        const start = performance.now();
        location.hash = '#!/node/' + encodeURIComponent(uid);
        const frame = () => new Promise(r => requestAnimationFrame(r));
        for (let i = 0; !document.getElementById('node-title'); i++) {  // hashchange comes as a task
            if (i > 1000) throw new Error('the page of ' + uid + ' did not open');
            await frame();
        }
        await frame(); await frame();
        return performance.now() - start; }""", focus_uid)
    search = page.evaluate("""async () => {
        const box = document.getElementById('search'), start = performance.now();
        box.value = 'mart_1'; box.dispatchEvent(new Event('input'));
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        return performance.now() - start; }""")
    context.close()
    return {"ready": ready, "painted": painted, "script": script, "focus": focus, "search": search}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000", help="numbers of models, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="page loads per size (medians are printed)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/elt-bench/docs"), help="where the projects go")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for models in [int(n) for n in args.sizes.split(",")]:
            site, generate = build_site(models, args.out)
            focus_uid = f"model.int_{models // 4}"  # intermediate models are int_0 .. int_<N/2 - 1>: the middle
            runs = [measure(browser, site, focus_uid) for _ in range(args.repeat)]
            figures = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            size = {name: (site / name).stat().st_size / 1e6 for name in ("index.html", "data.js")}
            rows.append((models, generate, size, figures))
            print(f"N={models}: generate {generate:.1f} s; index.html {size['index.html']:.1f} MB, data.js "
                  f"{size['data.js']:.1f} MB; " + ", ".join(f"{k} {v:.0f} ms" for k, v in figures.items()),
                  flush=True)
        browser.close()
    print("\n| models | elt docs generate | index.html + data.js | ready | painted | app.js start-up | "
          "model page (focus view) | search |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for models, generate, size, f in rows:
        print(f"| {models} | {generate:.1f} s | {size['index.html']:.1f} + {size['data.js']:.1f} MB | "
              f"{f['ready']:.0f} ms | {f['painted']:.0f} ms | {f['script']:.0f} ms | {f['focus']:.0f} ms | "
              f"{f['search']:.0f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
