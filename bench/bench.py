"""Together against DuckDB and Polars, same machine, same run, same input.

For each size (appointment rows): generate a neighbourhood, set up a fresh Together instance,
then time, each as a cold process (best of --repeat runs):
- the CSV import: `together import appointments` (validation, Modulus 11, HMAC pseudonyms,
  Parquet) against DuckDB turning the same CSV into Parquet with a sha256 of the NHS number;
- the attendance profile over the whole period: `together analyse profile` against
  bench/peers.py with DuckDB and with Polars on the same Parquet files.
The three profiles must agree (people, appointments, top shares, Gini, age bands) or the run
fails. Ratios are printed whatever they are; results go to target/bench/results.json.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "together"
WORK = ROOT / "target" / "bench"
PRACTICES = ["B99001", "B99002", "B99003"]
YEARS, END_YEAR = 3, 2025
PER_PERSON_YEAR = 5.26  # the generator's mean, measured on its demo neighbourhood


def run(args, **kw):
    out = subprocess.run(args, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, args))}\n{out.stderr}")
    return out.stdout


def timed(args, repeat):
    best, out = None, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = run(args)
        took = time.perf_counter() - t
        best = took if best is None else min(best, took)
    return best, out


def together(*args):
    return [str(BIN), *map(str, args)]


def neighbourhood(rows):
    patients = min(909_091, round(rows / YEARS / PER_PERSON_YEAR))
    src = WORK / f"source-{rows}"
    if not (src / "manifest.json").exists():
        print(f"generating {patients} people over {YEARS} years …", flush=True)
        run(together("generate", "--patients", patients, "--practices", len(PRACTICES),
                      "--years", YEARS, "--end-year", END_YEAR, "--seed", 1, "--out", src))
    return src


def instance(rows, src):
    data = WORK / f"data-{rows}"
    shutil.rmtree(data, ignore_errors=True)
    run(together("bootstrap-admin", "--data-dir", data, "--email", "bench@example.org",
                 "--name", "Bench", "--pcn-name", "Bench PCN"))
    for i, code in enumerate(PRACTICES):
        run(together("practices", "add", code, "--name", f"Practice {i + 1}", "--data-dir", data))
        run(together("practices", "data-sharing", code, "--data-dir", data))
    run(together("import", "registrations", src / "registrations.csv", "--data-dir", data))
    return data


def import_once(data, src):
    t = time.perf_counter()
    out = run(together("import", "appointments", src / "appointments.csv", "--data-dir", data))
    return time.perf_counter() - t, out


def duckdb_csv(src, repeat):
    out = WORK / "duckdb-appointments.parquet"
    script = f"""
import duckdb
duckdb.sql('''COPY (SELECT sha256(nhs_number) AS pseudonym, ods_code,
    booked_at::TIMESTAMP AS booked_at, starts_at::TIMESTAMP AS starts_at,
    status, slot_type, clinician_role, mode
  FROM read_csv('{src / "appointments.csv"}', header = true, all_varchar = true))
  TO '{out}' (FORMAT parquet)''')
"""
    return timed([sys.executable, "-c", script], repeat)[0]


def agree(a, b):
    if a["registered"] != b["registered"] or a["appointments"] != b["appointments"]:
        return False
    if abs(a["gini"] - b["gini"]) > 1e-9:
        return False
    if any(p != q or abs(x - y) > 1e-9 for (p, x), (q, y) in zip(a["top_shares"], b["top_shares"])):
        return False
    return [r for r in a["by_age"] if r[1]] == [r for r in b["by_age"] if r[1]]


def together_figures(text):
    d = json.loads(text)
    value = lambda c: c["value"]
    return {
        "registered": value(d["registered"]),
        "appointments": value(d["appointments"]),
        "gini": d["gini"],
        "top_shares": d["top_shares"],
        "by_age": [[g["label"], value(g["people"]), value(g["appointments"])] for g in d["by_age"]],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000000,10000000")
    ap.add_argument("--repeat", type=int, default=3)
    opts = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    frm, to = f"{END_YEAR - YEARS + 1}-01-01", f"{END_YEAR}-12-31"
    results = []
    for rows in map(int, opts.sizes.split(",")):
        src = neighbourhood(rows)
        data = instance(rows, src)
        actual = json.loads((src / "manifest.json").read_text())["counts"]["appointments"]
        print(f"\n== {actual:,} appointments ({rows:,} asked for)", flush=True)
        t_import, _ = import_once(data, src)
        t_duck_csv = duckdb_csv(src, opts.repeat)
        t_tog, out = timed(together("analyse", "profile", "--data-dir", data, "--from", frm,
                                    "--to", to, "--format", "json", "--unsuppressed"), opts.repeat)
        figures = {"together": together_figures(out)}
        times = {"together": t_tog}
        for engine in ["duckdb", "polars"]:
            t, out = timed([sys.executable, str(ROOT / "bench" / "peers.py"), engine, data, frm, to,
                            ",".join(PRACTICES)], opts.repeat)
            times[engine], figures[engine] = t, json.loads(out)
        for engine in ["duckdb", "polars"]:
            if not agree(figures["together"], figures[engine]):
                sys.exit(f"{engine} and Together disagree:\n{figures['together']}\n{figures[engine]}")
        faster = min(times["duckdb"], times["polars"])
        print(f"profile: Together {t_tog:.2f} s, DuckDB {times['duckdb']:.2f} s, "
              f"Polars {times['polars']:.2f} s — the figures agree")
        print(f"  ratio, the faster peer's time / Together's: {faster / t_tog:.2f}"
              f" (above 1: Together is faster)")
        print(f"CSV import: Together {t_import:.2f} s ({actual / t_import:,.0f} rows/s), "
              f"DuckDB CSV→Parquet with sha256 {t_duck_csv:.2f} s ({actual / t_duck_csv:,.0f} rows/s)")
        print(f"  ratio, DuckDB's time / Together's: {t_duck_csv / t_import:.2f}", flush=True)
        results.append({"appointments": actual, "people": figures["together"]["registered"],
                        "profile_seconds": times, "import_seconds": {"together": t_import,
                                                                      "duckdb": t_duck_csv}})
    (WORK / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
