"""The directory under load: 10,000 services, searched at a fixed rate from a second process.

Builds a fresh instance, imports a generated Open Referral UK feed of --services services (through
`together directory import`, so the importer is measured too) and a postcode table for them,
serves it with `together serve`, and drives each endpoint with oha at --rate requests per second
for --seconds (oha holds a fixed rate and corrects for coordinated omission). Prints p50, p99
and errors for each, and writes them to target/bench/directory.json. Nothing is asserted: the
numbers go into docs/performance.md.
"""
import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "together"
WORK = ROOT / "target" / "bench" / "directory"

TERMS = [
    "22fab6f3-a709-4e5e-afea-c624e6c66a1f", "72993dbe-b21e-4de0-a45a-aac5de8353f8",
    "e7787cfe-a668-4ea5-b5c1-6af014fb50c5", "65714572-b277-4c18-abc1-83f7c02d12be",
    "86618b37-ac45-4ef1-9ce6-f29b5e043c31", "512576fe-79dd-4988-aa3f-d0f8ae695940",
    "6b5267ff-f8c1-4b9f-a9d4-e8ee6422a43e", "a4604b93-2582-4b53-b1e5-c53accb6e244",
    "66d863fd-1637-4acb-9a52-66dddaf05350", "b0e76194-a428-4146-a165-c8a77cecef5a",
]
WHAT = ["walking group", "singing group", "carers' café", "food bank", "advice drop-in",
        "bereavement support", "ukulele club", "chair yoga", "knit and natter", "men's shed",
        "baby group", "digital skills", "warm space", "lunch club", "befriending calls"]
WHERE = ["Harbourview", "Quayside", "Dock Road", "Church Lane", "Market Square", "the Lock",
         "St Mary's", "the Citadel", "the Library", "Harbour Lane"]


def feed(n, rng):
    services, postcodes = [], {}
    for i in range(n):
        district, sector = rng.randint(1, 40), rng.randint(0, 9)
        unit = rng.choice(["AA", "AB", "BB", "DD", "EE", "GH", "JQ", "NP"])
        pc = f"HV{district} {sector}{unit}"
        # A county's directory: spread over about 40 by 40 km, as a real one of this size is.
        postcodes.setdefault(pc, (50.45 + rng.random() * 0.36, -3.70 + rng.random() * 0.57))
        name = f"{rng.choice(WHERE)} {rng.choice(WHAT)} {i}"
        services.append({
            "id": f"00000000-0000-4000-8000-{i:012d}",
            "name": name,
            "description": f"{name.capitalize()}: come along, everyone is welcome. Tea and a chat afterwards.",
            "status": "active",
            "organization": {"id": "x", "name": f"{rng.choice(WHERE)} Community Trust"},
            "contacts": [{"name": "The organiser", "phones": [{"number": f"01632 9{i % 100000:05d}"}]}],
            "service_at_locations": [{"location": {"addresses": [{"address_1": f"{i} {rng.choice(WHERE)} Road", "city": "Harbourview", "postal_code": pc}]}}],
            "attributes": [{"taxonomy_term": {"id": rng.choice(TERMS), "name": "Category"}}],
            "schedules": [{"freq": "WEEKLY", "byday": rng.choice(["MO", "TU", "WE", "TH", "FR"]),
                           "dtstart": "2026-01-05", "opens_at": "10:00", "closes_at": "11:30"}] if i % 2 else [],
        })
    return {"total_items": n, "total_pages": 1, "page_number": 1, "contents": services}, postcodes


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def summarise(r, ok=("2",)):
    """p50, p99 (ms), requests, rate and errors from oha's JSON; a status not starting with one
    of `ok` counts as an error, as does a failed connection."""
    lat = r.get("latencyPercentiles", {})
    codes = r.get("statusCodeDistribution", {})
    errors = sum(v for k, v in codes.items() if not k.startswith(ok)) + sum(r.get("errorDistribution", {}).values())
    total = r["summary"].get("total")
    return {"p50_ms": (lat.get("p50") or 0) * 1000, "p99_ms": (lat.get("p99") or 0) * 1000,
            "requests": total if isinstance(total, int) else sum(codes.values()),
            "rps": r["summary"].get("requestsPerSec") or 0, "errors": errors}


def wait_healthy(base):
    """Waits (up to 20 s) for a server just started to answer /healthz."""
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)


def run(args, **kw):
    out = subprocess.run(list(map(str, args)), capture_output=True, text=True, **kw)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, args))}\n{out.stdout}\n{out.stderr}")
    return out.stdout


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--services", type=int, default=10_000)
    p.add_argument("--rate", type=int, default=200)
    p.add_argument("--seconds", type=int, default=30)
    p.add_argument("--oha", default=str(ROOT / "target" / "bench-tools" / "bin" / "oha"))
    a = p.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    data = WORK / "data"
    env = {**os.environ, "TOGETHER_LOG": "warn"}
    env.pop("TOGETHER_DATABASE_URL", None)
    run([BIN, "bootstrap-admin", "--data-dir", data, "--email", "admin@bench.example",
         "--name", "Bench", "--pcn-name", "Bench PCN"], env=env)
    body, postcodes = feed(a.services, random.Random(7))
    near_pc = sorted(postcodes)[len(postcodes) // 2]
    (WORK / "feed.json").write_text(json.dumps(body))
    with open(WORK / "postcodes.csv", "w") as f:
        f.write("postcode,latitude,longitude\n")
        for pc, (lat, lon) in sorted(postcodes.items()):
            f.write(f"{pc},{lat:.6f},{lon:.6f}\n")
    run([BIN, "postcodes", "import", WORK / "postcodes.csv", "--data-dir", data], env=env)
    t = time.perf_counter()
    said = run([BIN, "directory", "import", WORK / "feed.json", "--data-dir", data], env=env)
    took = time.perf_counter() - t
    print(f"import of {a.services} services: {took:.1f} s ({said.splitlines()[0]})")
    port = free_port()
    server = subprocess.Popen([str(BIN), "serve", "--data-dir", str(data), "--port", str(port),
                               "--listen", "127.0.0.1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        targets = {
            "directory search by words": "/directory?q=walking",
            "directory search by distance": f"/directory?postcode={near_pc.replace(' ', '+')}&within=2",
            "ORUK /services, a middle page": f"/api/oruk/services?page={a.services // 100}&per_page=50",
            "ORUK /services?search=": "/api/oruk/services?search=singing&per_page=50",
            "ORUK /service_at_locations near a postcode": f"/api/oruk/service_at_locations?postcode={near_pc.replace(' ', '%20')}&proximity=3000",
        }
        results = {}
        for what, path in targets.items():
            # Let the server drain what the last endpoint left queued, so runs do not mix.
            time.sleep(15)
            out = run([a.oha, "-z", f"{a.seconds}s", "-q", str(a.rate), "--latency-correction", "-w",
                       "--no-tui", "--output-format", "json", base + path])
            results[what] = {"path": path, **summarise(json.loads(out))}
            x = results[what]
            print(f"{what:45} p50 {x['p50_ms']:6.1f} ms  p99 {x['p99_ms']:6.1f} ms  {x['rps']:.0f} req/s  errors {x['errors']}")
        (WORK.parent / "directory.json").write_text(json.dumps({"services": a.services, "rate": a.rate,
                                                                 "seconds": a.seconds, "import_s": took,
                                                                 "results": results}, indent=2))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
