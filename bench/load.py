"""A morning's mix on the demo, then the same while twenty clients guess passwords.

Makes the demo (6,000 people, three practices, their imports), serves it with `together serve`
(SQLite, release build) and drives a mix of 100 requests a second for --seconds from a second
process with oha, one oha per route at its share of the rate, all at once:

    the directory (a search by words)        25 a second, no sign-in
    ORUK /services, a page of 50             25 a second, no sign-in
    /offers                                  17 a second, signed in as the link worker
    /insight                                 33 a second, signed in as the analyst

then the same mix again while 20 clients send wrong passwords to /sign-in as fast as the server
answers (every one an argon2 check: the limit per address is raised for the run, or the guesses
would be refused before any hashing). Prints p50, p99 and errors per route and writes
target/bench/load.json. Nothing is asserted: the numbers go into docs/performance.md.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from directory import free_port, summarise, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "together"
WORK = ROOT / "target" / "bench" / "load"

MIX = [
    # (what, path, requests a second, who signs in)
    ("directory, search by words", "/directory?q=walking", 25, None),
    ("ORUK /services, a page of 50", "/api/oruk/services?per_page=50", 25, None),
    ("/offers", "/offers", 17, "link_worker"),
    ("/insight", "/insight", 33, "analyst"),
]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        res = OPENER.open(req, timeout=30)
    except urllib.error.HTTPError as e:
        res = e
    return res.status, res.headers, res.read().decode("utf-8", "replace")


def cookies_of(headers):
    return {c.split(";")[0].split("=", 1)[0]: c.split(";")[0].split("=", 1)[1]
            for c in headers.get_all("Set-Cookie") or [] if "=" in c.split(";")[0]}


def form_session(base):
    """An anonymous cookie and the CSRF token bound to it, as a browser has on /sign-in."""
    _, headers, body = fetch(base + "/sign-in")
    cookies = cookies_of(headers)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', body).group(1)
    return cookies, token


def sign_in(base, email, password):
    cookies, token = form_session(base)
    data = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password}).encode()
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    status, headers, _ = fetch(base + "/sign-in", data, {
        "Cookie": cookie, "Origin": base, "Content-Type": "application/x-www-form-urlencoded"})
    if status != 303:
        sys.exit(f"signing in as {email} gave {status}")
    cookies.update(cookies_of(headers))
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def oha(args, base, path, seconds, rate=None, extra=()):
    cmd = [args.oha, "-z", f"{seconds}s", "--no-tui", "--output-format", "json", "-w", *extra]
    if rate:
        cmd += ["-q", str(rate), "--latency-correction"]
    return subprocess.Popen(cmd + [base + path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def run_mix(args, base, cookies, attack):
    procs = {}
    for what, path, rate, who in MIX:
        extra = ["-H", f"Cookie: {cookies[who]}"] if who else []
        procs[what] = oha(args, base, path, args.seconds, rate, extra)
    guessers = None
    if attack:
        anon, token = form_session(base)
        body = urllib.parse.urlencode({"csrf_token": token, "email": "nobody@bench.example",
                                       "password": "not-the-password"})
        cookie = "; ".join(f"{k}={v}" for k, v in anon.items())
        guessers = oha(args, base, "/sign-in", args.seconds, None, [
            "-c", "20", "-m", "POST", "-d", body, "-T", "application/x-www-form-urlencoded",
            "-H", f"Cookie: {cookie}", "-H", f"Origin: {base}"])
    results = {}
    for what, p in procs.items():
        out, err = p.communicate()
        if p.returncode != 0:
            sys.exit(f"oha failed for {what}: {err}")
        results[what] = summarise(json.loads(out))
    if guessers:
        out, err = guessers.communicate()
        # A wrong password is answered 401 with the sign-in page again: that is the server working.
        results["wrong passwords (20 clients)"] = summarise(json.loads(out), ok=("2", "4"))
    return results


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--oha", default=str(ROOT / "target" / "bench-tools" / "bin" / "oha"))
    args = p.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    data = WORK / "data"
    env = {**os.environ, "TOGETHER_LOG": "warn"}
    env.pop("TOGETHER_DATABASE_URL", None)
    port = free_port()
    demo = subprocess.Popen([str(BIN), "demo", "--data-dir", str(data), "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in demo.stdout:
        if line.startswith("Together demo is running at"):
            break
    demo.terminate()
    demo.wait()
    creds = {}
    for line in (data / "demo-credentials.txt").read_text().splitlines():
        role, email, password = line.split(" ")
        creds[role] = (email, password)
    # Every guess must reach argon2, as it would from many addresses.
    (data / "together.toml").write_text("sign_in_failures_per_address = 100000000\n")
    server = subprocess.Popen([str(BIN), "serve", "--allow-demo", "--data-dir", str(data), "--port",
                               str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        cookies = {who: sign_in(base, *creds[who]) for who in ("link_worker", "analyst")}
        for what, path, _, who in MIX:
            status, _, _ = fetch(base + path, headers={"Cookie": cookies[who]} if who else {})
            if status != 200:
                sys.exit(f"{what} ({path}) gave {status} before the run")
        report = {}
        for name, attack in (("mix", False), ("mix while 20 clients guess passwords", True)):
            time.sleep(10)
            report[name] = run_mix(args, base, cookies, attack)
            print(f"\n{name} ({args.seconds} s):")
            for what, x in report[name].items():
                print(f"  {what:32} p50 {x['p50_ms']:7.1f} ms  p99 {x['p99_ms']:7.1f} ms  "
                      f"{x['rps']:6.1f} req/s  errors {x['errors']}")
        (WORK.parent / "load.json").write_text(json.dumps({"seconds": args.seconds, "results": report},
                                                          indent=2))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
