#!/usr/bin/python3
"""`knob dashboard` and `knob report -o` in a real headless Chromium.

Usage: dashboard_test.py PATH/TO/knob
A real `knob run` makes a study (define-by-run with a conditional parameter,
pruned and failed trials, and `<script>alert(1)</script>` as the study's name,
a choice, a user attribute and a failure message). The test then opens the live
dashboard and the static report in Chromium and checks, for every view: the
DOM holds one point or line per trial it should draw, a screenshot of it holds
drawn (coloured) pixels, the console shows no error, no dialog opened and the
hostile text shows as text. While the page is open a trial is added with
`knob ask`/`knob tell`; the page must show it without a reload. Exit 77 (skip)
without Chromium.
"""
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser  # noqa: E402

KNOB = os.path.abspath(sys.argv[1])
HERE = os.path.dirname(os.path.abspath(__file__))
XSS = "<script>alert(1)</script>"
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL", message)


def knob(*args, code=0):
    r = subprocess.run([KNOB, *args], capture_output=True, text=True, timeout=300)
    assert r.returncode == code, f"knob {' '.join(args)} exited {r.returncode}: {r.stderr[-2000:]}"
    return r.stdout


def make_study(folder):
    shutil.copy(os.path.join(HERE, "dashboard_objective.py"), os.path.join(folder, "objective.py"))
    with open(os.path.join(folder, "study.yaml"), "w") as f:
        f.write(f"""study: "{XSS}"
storage: dash.db
direction: minimize
n_trials: 30
sampler: {{name: tpe, seed: 3}}
pruner: {{name: median, n_startup_trials: 3}}
trainer:
  command: [python3, objective.py]
  timeout: 1m
resources: {{gpus: none, cpu_slots: 2}}
""")
    knob("run", os.path.join(folder, "study.yaml"))
    return json.loads(knob("trials", "--storage", os.path.join(folder, "dash.db"), "--study", XSS, "--format", "json"))


def expected_counts(trials):
    """What each view must draw, computed from `knob trials` (not from the page)."""
    complete = [t for t in trials if t["state"] == "COMPLETE" and isinstance(t["value"], (int, float))]
    params = sorted({name for t in trials for name in t["params"]})
    return {
        "history": len(complete),
        "intermediate": sum(1 for t in trials if t["intermediate_values"]),
        "parallel": len(complete),
        "slice": {name: sum(1 for t in complete if name in t["params"]) for name in params},
        "timeline": sum(1 for t in trials if t["datetime_start"]),
        "table": len(trials),
        "params": params,
        # importance judges the parameters every COMPLETE trial has (as Optuna's does)
        "importance": sorted(set.intersection(*[set(t["params"]) for t in complete])) if complete else [],
    }


VIEWS = ["history", "intermediate", "parallel", "slice", "contour", "importance", "edf", "timeline", "table"]
COUNT_JS = """JSON.stringify({
  history: document.querySelectorAll('[data-view=history] circle.pt').length,
  intermediate: document.querySelectorAll('[data-view=intermediate] polyline.line').length,
  parallel: document.querySelectorAll('[data-view=parallel] path.line').length,
  slice: Object.fromEntries([...document.querySelectorAll('[data-view=slice] svg[data-param]')]
           .map(s => [s.dataset.param, s.querySelectorAll('circle.pt').length])),
  contour_cells: document.querySelectorAll('[data-view=contour] rect.cell').length,
  contour_points: document.querySelectorAll('[data-view=contour] circle.pt').length,
  importance: [...document.querySelectorAll('[data-view=importance] rect.bar')].map(b => b.dataset.param),
  edf: document.querySelectorAll('[data-view=edf] path.edf').length,
  timeline: document.querySelectorAll('[data-view=timeline] rect.span').length,
  table: document.querySelectorAll('#trials tr.trial-row').length,
  scripts: document.querySelectorAll('script').length,
  where: document.getElementById('where').textContent,
  heading: document.querySelector('[data-view=summary] h2').textContent,
  errors: document.body.dataset.errors || '0'
})"""
READY_JS = "document.body.dataset.page === 'study' && !document.getElementById('importance-pending')"


def check_page(b, url, expected, label, scripts):
    b.open(url)
    b.wait_for(READY_JS)
    got = json.loads(b.evaluate(COUNT_JS))
    for view in ("history", "intermediate", "parallel", "timeline", "table"):
        check(got[view] == expected[view], f"{label}: {view} draws {got[view]}, expected {expected[view]}")
    check(got["slice"] == expected["slice"], f"{label}: slice points {got['slice']}, expected {expected['slice']}")
    check(got["contour_cells"] == 24 * 24, f"{label}: contour has {got['contour_cells']} cells")
    check(got["contour_points"] > 0, f"{label}: contour has no points")
    check(sorted(got["importance"]) == expected["importance"],
          f"{label}: importance bars {got['importance']}")
    check(got["edf"] == 1, f"{label}: no EDF line")
    check(got["scripts"] == scripts, f"{label}: {got['scripts']} script elements, expected {scripts} (hostile text ran?)")
    check(XSS in got["where"] and XSS in got["heading"], f"{label}: the study's name is not shown as text")
    check(got["errors"] == "0", f"{label}: the page counted {got['errors']} errors")
    # Each view alone, as its own screenshot: drawn data, not an empty frame.
    for view in VIEWS:
        b.evaluate(f"location.hash = location.hash.split('?')[0] + '?view={view}'")
        b.wait_for(f"document.querySelectorAll('section.view').length === 1 && "
                   f"document.querySelector('section.view').dataset.view === '{view}' && "
                   "!document.getElementById('importance-pending')")
        fraction = browser.colored_fraction(b.screenshot("section.view"))
        check(fraction > 0.002, f"{label}: the {view} view's screenshot is blank ({fraction:.4f} coloured)")
    b.evaluate("location.hash = location.hash.split('?')[0]")
    b.wait_for("document.querySelectorAll('section.view').length > 5")
    # The table: filter by state, search params.
    b.evaluate("(() => { const s = document.getElementById('state-filter'); s.value = 'FAIL';"
               " s.dispatchEvent(new Event('change')); })()")
    fails = sum(1 for t in expected["trials"] if t["state"] == "FAIL")
    b.wait_for(f"document.querySelectorAll('#trials tr.trial-row').length === {fails}")
    b.evaluate("(() => { const s = document.getElementById('state-filter'); s.value = '';"
               " s.dispatchEvent(new Event('change')); const q = document.getElementById('param-search');"
               " q.value = 'kind=sgd'; q.dispatchEvent(new Event('change')); })()")
    sgd = sum(1 for t in expected["trials"] if t["params"].get("kind") == "sgd")
    b.wait_for(f"document.querySelectorAll('#trials tr.trial-row').length === {sgd}")
    b.evaluate("(() => { const q = document.getElementById('param-search'); q.value = '';"
               " q.dispatchEvent(new Event('change')); })()")
    # A failed trial's detail: its reason (hostile text, as text) and its log.
    failed = next(t for t in expected["trials"] if t["state"] == "FAIL")
    b.evaluate(f"location.hash = '#/study/' + location.hash.match(/study\\/(\\d+)/)[1] + '/trial/{failed['number']}'")
    b.wait_for("document.body.dataset.page === 'trial' && document.getElementById('fail-reason')")
    reason = b.evaluate("document.getElementById('fail-reason').textContent")
    check("x too large: " + XSS in reason, f"{label}: the fail reason shows as {reason!r}")
    log = b.evaluate("(document.querySelector('pre[data-file=\"trainer.log\"]') || {}).textContent || ''")
    check("x too large" in log, f"{label}: the trial's trainer.log tail is missing: {log[-200:]!r}")
    check(b.evaluate("document.querySelectorAll('script').length") == scripts, f"{label}: a script was injected")


def main():
    if not browser.find_chromium():
        print("skip: no chromium")
        return 77
    folder = tempfile.mkdtemp(prefix="knob-dashboard-")
    trials = make_study(folder)
    expected = expected_counts(trials)
    expected["trials"] = trials
    states = {t["state"] for t in trials}
    assert {"COMPLETE", "PRUNED", "FAIL"} <= states, f"the study lacks a state: {states}"
    assert any("momentum" in t["params"] for t in trials) and any("momentum" not in t["params"] for t in trials)
    storage = os.path.join(folder, "dash.db")

    server = subprocess.Popen([KNOB, "dashboard", os.path.join(folder, "study.yaml"), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    b = browser.Browser()
    try:
        line = server.stdout.readline()
        url = re.search(r"http://\S+", line).group(0)
        port = int(re.search(r":(\d+)/", url).group(1))
        check_page(b, url, expected, "live", scripts=1)

        # The page updates while the study goes on: a trial added after load appears.
        b.open(url)
        b.wait_for(READY_JS)
        rows = len(trials)
        b.wait_for(f"document.querySelectorAll('#trials tr.trial-row').length === {rows}")
        asked = json.loads(knob("ask", "--storage", storage, "--study", XSS, "--space",
                                '{"x": {"type": "float", "low": -5, "high": 5}}'))
        b.wait_for(f"document.querySelector('#trials tr.trial-row[data-trial=\"{asked['number']}\"] .state-RUNNING')",
                   timeout=20)
        knob("tell", "--storage", storage, "--study", XSS, "--trial", str(asked["number"]), "--value", "0.125")
        b.wait_for(f"document.querySelectorAll('[data-view=history] circle.pt').length === {expected['history'] + 1}",
                   timeout=20)
        check(b.evaluate(f"!!document.querySelector('#trials tr.trial-row[data-trial=\"{asked['number']}\"] .state-COMPLETE')"),
              "live: the told trial is not shown COMPLETE")
        check(not b.errors, f"live: the browser reported errors: {b.errors}")
        check(not b.dialogs, f"live: a dialog opened: {b.dialogs}")

        # The server itself: traversal refused, only reads.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/api/studies/1/trials/0/files/../../../../etc/passwd")
        response = connection.getresponse()
        body = response.read().decode()
        check(response.status == 400 and "root:" not in body, f"'../' answered {response.status}: {body[:200]}")
        connection.request("POST", "/api/studies")
        response = connection.getresponse()
        response.read()
        check(response.status == 405, f"POST answered {response.status}")
    finally:
        server.terminate()
        server.wait(timeout=10)
    check(server.returncode == 0, f"knob dashboard exited {server.returncode} on SIGTERM")

    # A host other than loopback: a token is generated, and a request without it gets 401.
    server = subprocess.Popen([KNOB, "dashboard", "--storage", storage, "--host", "0.0.0.0", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        match = re.search(r":(\d+)/\?token=([0-9a-f]{32})", line)
        check(match is not None, f"no token in {line!r}")
        if match:
            port, token = int(match.group(1)), match.group(2)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/api/studies")
            response = connection.getresponse()
            response.read()
            check(response.status == 401, f"no token answered {response.status}")
            connection.request("GET", "/api/studies", headers={"Authorization": "Bearer " + token})
            response = connection.getresponse()
            check(response.status == 200 and XSS in json.loads(response.read())["studies"][0]["name"],
                  "the token's bearer is not answered")
    finally:
        server.terminate()
        server.wait(timeout=10)

    # The static report: the same views offline (its policy allows no request).
    report = os.path.join(folder, "report.html")
    knob("report", "--storage", storage, "--study", XSS, "-o", report)
    trials = json.loads(knob("trials", "--storage", storage, "--study", XSS, "--format", "json"))
    expected = expected_counts(trials)
    expected["trials"] = trials
    errors_before = len(b.errors)
    check_page(b, "file://" + report, expected, "report", scripts=2)
    check(b.evaluate("performance.getEntriesByType('resource').length") == 0, "report: the page fetched something")
    check(len(b.errors) == errors_before, f"report: the browser reported errors: {b.errors[errors_before:]}")
    check(not b.dialogs, f"report: a dialog opened: {b.dialogs}")
    b.close()
    shutil.rmtree(folder, ignore_errors=True)
    print("dashboard_test:", "FAILED " + "; ".join(failures) if failures else "ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
