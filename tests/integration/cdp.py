#!/usr/bin/env python3
"""Drives headless Chromium over the DevTools protocol (--remote-debugging-pipe),
for the browser tests (tests/cli/admin.t, tests/cli/web.t).

usage: cdp.py URL ARTDIR STEP...
Opens URL, then runs each STEP in order: "shot:NAME" saves a PNG screenshot
as ARTDIR/NAME; any other STEP is a JavaScript expression, evaluated until it
gives a value (not null) or 60 s pass, and its value is printed.
--no-sandbox: the suite runs as root, where Chromium refuses its sandbox.
"""
import base64, fcntl, json, os, subprocess, sys, time
url, art, steps = sys.argv[1], sys.argv[2], sys.argv[3:]
r1, w1 = os.pipe(); r2, w2 = os.pipe()
a, b = fcntl.fcntl(r1, fcntl.F_DUPFD, 10), fcntl.fcntl(w2, fcntl.F_DUPFD, 10)
os.close(r1); os.close(w2)
def fds():  # chromium reads commands on fd 3 and answers on fd 4
    os.dup2(a, 3); os.dup2(b, 4)
p = subprocess.Popen(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
                      "--remote-debugging-pipe", "--user-data-dir=" + os.path.abspath("chrome-cdp"),
                      "--window-size=1280,900", "about:blank"], pass_fds=(3, 4, a, b),
                     preexec_fn=fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(a); os.close(b)
out, buf, n = os.fdopen(w1, "wb", 0), b"", [0]
def call(method, params=None, session=None):
    global buf
    n[0] += 1
    m = {"id": n[0], "method": method, "params": params or {}}
    if session: m["sessionId"] = session
    out.write(json.dumps(m).encode() + b"\0")
    while True:
        while b"\0" in buf:
            msg, buf = buf.split(b"\0", 1)
            m = json.loads(msg)
            if m.get("id") == n[0]:
                if "error" in m and method == "Runtime.evaluate":
                    return {}  # navigating (context gone): the step retries
                if "error" in m: sys.exit("cdp: %s" % m["error"])
                return m["result"]
        chunk = os.read(r2, 65536)
        if not chunk: sys.exit("cdp: chromium went away")
        buf += chunk
try:
    tid = call("Target.createTarget", {"url": url})["targetId"]
    sid = call("Target.attachToTarget", {"targetId": tid, "flatten": True})["sessionId"]
    for step in steps:  # "shot:NAME" saves a screenshot; a JS step is retried until it gives a value
        if step.startswith("shot:"):
            png = base64.b64decode(call("Page.captureScreenshot", {"format": "png"}, sid)["data"])
            open(os.path.join(art, step[5:]), "wb").write(png)
            print("screenshot %s" % step[5:])
            continue
        deadline, v = time.time() + 60, None
        while v is None and time.time() < deadline:
            r = call("Runtime.evaluate", {"expression": step, "returnByValue": True}, sid)
            v = r.get("result", {}).get("value")
            if v is None: time.sleep(0.1)
        print(v)
finally:
    p.kill(); p.wait()
