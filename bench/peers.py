"""The attendance profile computed by Together's peers, DuckDB and Polars, from the same raw
Parquet files Together reads (its Insight partitions), with the same definitions:

- people: registered at any time in the period at the chosen practices, not opted out (pooled);
- their appointments: starting in the period, with a status the counting rule counts;
- per-person counts (zero attenders included), shares held by the top 1/3/5/10/20% (top k =
  ceil(n * p / 100)), the Gini coefficient from the sorted counts, and people and appointments
  by age band (age at the start of the period, from year and month of birth).

Run as a cold process: python peers.py duckdb|polars DATA_DIR FROM TO PRACTICE,... ; prints JSON.
"""
import json
import sys
from datetime import date, datetime, timedelta, timezone

STATUSES = ["Finished", "Arrived", "In Progress", "Visit", "Waiting", "Patient Walked Out"]
BANDS = [("0–4", 0, 4), ("5–17", 5, 17), ("18–29", 18, 29), ("30–44", 30, 44),
         ("45–64", 45, 64), ("65–74", 65, 74), ("75–84", 75, 84), ("85+", 85, 200)]
TOPS = [1, 3, 5, 10, 20]


def paths(data_dir):
    base = f"{data_dir}/insight"
    return (f"{base}/registrations/practice=*/import=*/part-0.parquet",
            f"{base}/appointments/practice=*/import=*/part-0.parquet")


def london_midnight_utc(d):
    """Midnight in London, in UTC: BST (UTC+1) from the last Sunday of March to the last of
    October. The benchmark's periods start on 1 January, so this is midnight UTC."""
    def last_sunday(year, month):
        day = date(year, month + 1, 1) - timedelta(days=1)
        return day - timedelta(days=(day.weekday() + 1) % 7)
    bst = last_sunday(d.year, 3) <= d < last_sunday(d.year, 10)
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc) - timedelta(hours=1 if bst else 0)


def duckdb_profile(data_dir, start, end, practices):
    import duckdb
    regs, appts = paths(data_dir)
    con = duckdb.connect()
    plist = ", ".join(f"'{p}'" for p in practices)
    slist = ", ".join(f"'{s}'" for s in STATUSES)
    t0, t1 = london_midnight_utc(start), london_midnight_utc(end + timedelta(days=1))
    pooled = "AND NOT opt_out" if len(practices) > 1 else ""
    con.execute(f"""
        CREATE TEMP TABLE per AS
        WITH reg AS (
            SELECT pseudonym, min(year_of_birth) AS yob, min(month_of_birth) AS mob
            FROM read_parquet('{regs}', hive_partitioning = false)
            WHERE ods_code IN ({plist}) AND registered_from <= DATE '{end}'
              AND (registered_to IS NULL OR registered_to >= DATE '{start}') {pooled}
            GROUP BY pseudonym),
        ap AS (
            SELECT pseudonym, count(*) AS n
            FROM read_parquet('{appts}', hive_partitioning = false)
            WHERE ods_code IN ({plist}) AND status IN ({slist})
              AND starts_at >= TIMESTAMPTZ '{t0.isoformat()}' AND starts_at < TIMESTAMPTZ '{t1.isoformat()}'
            GROUP BY pseudonym)
        SELECT {start.year} - yob - CASE WHEN {start.month} < mob THEN 1 ELSE 0 END AS age,
               coalesce(ap.n, 0) AS n
        FROM reg LEFT JOIN ap USING (pseudonym)""")
    tops = ", ".join(
        f"sum(n) FILTER (WHERE i > cnt - ceil(cnt * {p} / 100.0)) AS top{p}" for p in TOPS)
    row = con.execute(f"""
        WITH ranked AS (
            SELECT n, row_number() OVER (ORDER BY n) AS i, count(*) OVER () AS cnt FROM per)
        SELECT count(*), sum(n), sum(i * n), {tops} FROM ranked""").fetchone()
    people, total, weighted = row[0], int(row[1]), int(row[2])
    cases = " ".join(f"WHEN age BETWEEN {lo} AND {hi} THEN '{b}'" for b, lo, hi in BANDS)
    bands = con.execute(f"""
        SELECT CASE {cases} ELSE '85+' END AS band, count(*), sum(n) FROM per GROUP BY band""").fetchall()
    return figures(people, total, weighted, [int(x) for x in row[3:]], bands)


def polars_profile(data_dir, start, end, practices):
    import polars as pl
    regs, appts = paths(data_dir)
    t0, t1 = london_midnight_utc(start), london_midnight_utc(end + timedelta(days=1))
    reg = (pl.scan_parquet(regs, hive_partitioning=False)
           .filter(pl.col("ods_code").is_in(practices)
                   & (pl.col("registered_from") <= end)
                   & (pl.col("registered_to").is_null() | (pl.col("registered_to") >= start))))
    if len(practices) > 1:
        reg = reg.filter(~pl.col("opt_out"))
    reg = reg.group_by("pseudonym").agg(pl.col("year_of_birth").min().alias("yob"),
                                        pl.col("month_of_birth").min().alias("mob"))
    ap = (pl.scan_parquet(appts, hive_partitioning=False)
          .filter(pl.col("ods_code").is_in(practices) & pl.col("status").is_in(STATUSES)
                  & (pl.col("starts_at") >= t0) & (pl.col("starts_at") < t1))
          .group_by("pseudonym").agg(pl.len().alias("n"))
          # Together keeps appointments' pseudonyms as a dictionary, which Polars reads as a
          # categorical: grouped as that, then made text to join the registrations.
          .with_columns(pl.col("pseudonym").cast(pl.String)))
    per = (reg.join(ap, on="pseudonym", how="left")
           .select((start.year - pl.col("yob") - (pl.col("mob") > start.month).cast(pl.Int32)).alias("age"),
                   pl.col("n").fill_null(0).cast(pl.Int64).alias("n"))
           .collect())
    ns = per.get_column("n").sort()
    people = len(ns)
    total = int(ns.sum())
    weighted = int((ns * pl.Series(range(1, people + 1))).sum())
    tops = []
    for p in TOPS:
        k = -(-people * p // 100)
        tops.append(int(ns.tail(k).sum()))
    band = pl.lit("85+")
    for b, lo, hi in reversed(BANDS):
        band = pl.when(pl.col("age").is_between(lo, hi)).then(pl.lit(b)).otherwise(band)
    bands = (per.with_columns(band.alias("band")).group_by("band")
             .agg(pl.len(), pl.col("n").sum()).rows())
    return figures(people, total, weighted, tops, bands)


def figures(people, total, weighted, tops, bands):
    gini = 2 * weighted / (people * total) - (people + 1) / people
    order = [b for b, _, _ in BANDS]
    return {
        "registered": people,
        "appointments": total,
        "gini": gini,
        "top_shares": [[p, held / total] for p, held in zip(TOPS, tops)],
        "by_age": sorted(([b, int(c), int(n)] for b, c, n in bands), key=lambda r: order.index(r[0])),
    }


if __name__ == "__main__":
    engine, data_dir, start, end, practices = sys.argv[1:6]
    start, end = date.fromisoformat(start), date.fromisoformat(end)
    run = {"duckdb": duckdb_profile, "polars": polars_profile}[engine]
    print(json.dumps(run(data_dir, start, end, practices.split(","))))
