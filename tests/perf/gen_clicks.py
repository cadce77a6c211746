"""Build an analytics benchmark database: `linkhub init`, N links, M clicks spread over D days
(skewed link popularity, a realistic mix of countries, devices, browsers, referrers, bots, QR
scans) and conversions (leads and sales) on a share of them. Not part of the test run.

    python tests/perf/gen_clicks.py DATA_DIR [--clicks 10000000] [--links 10000] [--days 90]

Raw clicks are made by SQLite itself (a recursive CTE, a million rows per transaction); the
rollups, counters and workspace rollups are then derived from each chunk by the click
writer's own statements (`linkhub.redirect.clicks`), so the figures are the writer's."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

EMAIL, PASSWORD = "bench@example.com", "bench-password-123"
CHUNK = 1_000_000

# (value, weight) lists; a row picks one with a weighted random draw made in SQL
COUNTRIES = [("US", 30), ("GB", 8), ("DE", 8), ("FR", 6), ("IN", 8), ("BR", 6), ("CA", 5),
             ("ES", 4), ("MX", 4), ("JP", 4), ("AU", 3), ("IT", 3), ("NL", 3), ("PL", 2),
             ("SE", 2), ("ZA", 1), ("NG", 1), ("KR", 1), ("AR", 1)]
AGENTS = [  # (device, os, browser, weight)
    ("mobile", "ios", "safari", 30), ("mobile", "android", "chrome", 25),
    ("desktop", "windows", "chrome", 18), ("desktop", "macos", "safari", 8),
    ("desktop", "windows", "firefox", 5), ("tablet", "ipados", "safari", 4),
    ("mobile", "android", "samsung internet", 4), ("desktop", "linux", "chrome", 2),
    ("bot", None, None, 4)]
REFERRERS = [(None, 45), ("t.co", 12), ("www.google.com", 10), ("facebook.com", 9),
             ("instagram.com", 8), ("linkedin.com", 5), ("news.ycombinator.com", 3),
             ("reddit.com", 4), ("mail.google.com", 4)]


def _weighted(values: list[tuple], name: str) -> tuple[str, str]:
    """(CREATE + INSERT of a temp lookup table with cumulative weights, the table name)."""
    table = f"bench_{name}"
    total = sum(row[-1] for row in values)
    rows, upto = [], 0
    for row in values:
        upto += row[-1]
        rows.append((upto * 1000 // total, *row[:-1]))
    width = len(values[0]) - 1
    columns = ", ".join(f"v{i}" for i in range(width))
    script = (f"DROP TABLE IF EXISTS {table}; CREATE TEMP TABLE {table} "
              f"(upto INTEGER PRIMARY KEY, {columns});")
    for row in rows:
        script += f"INSERT INTO {table} VALUES ({', '.join(json.dumps(v) if v is not None else 'NULL' for v in row)});"  # noqa: E501
    return script, table


def _pick(table: str, draw: str, column: str = "v0") -> str:
    """The value of the lookup row a per-row draw (0-999) falls into (a correlated subquery:
    evaluated for every row, unlike one that only calls random())."""
    return (f"(SELECT {column} FROM {table} WHERE upto > d.{draw} ORDER BY upto LIMIT 1)")


def _chunk_sql(workspace: int, first_link: int, links: int, count: int, now, seconds: int
               ) -> str:
    """`count` clicks in one statement. The draws are materialized once per row, so the
    device, OS and browser of one agent row stay together."""
    return f"""
    WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq LIMIT {count}),
    d AS MATERIALIZED (
        SELECT n, {first_link} + ((abs(random()) % 100) * (abs(random()) % 100) * {links})
                   / 10000 AS link,
               abs(random()) % 1000 AS dc, abs(random()) % 1000 AS da,
               abs(random()) % 1000 AS dr, abs(random()) % 100 AS dq,
               abs(random()) % 100 AS du, abs(random()) % {seconds} AS ago FROM seq),
    p AS MATERIALIZED (
        SELECT d.*, {_pick("bench_country", "dc")} AS country,
               {_pick("bench_agent", "da", "v0")} AS device,
               {_pick("bench_agent", "da", "v1")} AS os,
               {_pick("bench_agent", "da", "v2")} AS browser,
               {_pick("bench_referrer", "dr")} AS referrer FROM d)
    INSERT INTO click (public_id, workspace_id, link_id, rule_id, created_at, "trigger",
        method, bot, is_crawler, is_preview, is_unique, visitor_id, destination_url,
        country, device_type, os, browser, referrer_domain, referrer, language)
    SELECT 'clk_' || hex(randomblob(8)), {workspace}, link, NULL,
        datetime('{now:%Y-%m-%d %H:%M:%S}', '-' || ago || ' seconds'),
        CASE WHEN dq < 5 THEN 'qr' ELSE 'link' END, 'GET', device = 'bot', device = 'bot',
        0, du < 60, hex(randomblob(8)), 'https://example.com/p/' || link, country, device,
        os, browser, referrer,
        CASE WHEN referrer IS NULL THEN NULL ELSE 'https://' || referrer || '/' END, 'en-US'
    FROM p ORDER BY link"""


def init(data_dir: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "linkhub.cli", "init", "--data-dir",
                           str(data_dir), "--email", EMAIL, "--password", PASSWORD, "--json"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"linkhub init failed: {done.stderr}")
    return json.loads(done.stdout)["workspaceId"]


def build(data_dir: Path, clicks: int, links: int, days: int) -> dict:
    """Make the database; returns {workspaceId, links, clicks, conversions, seconds}."""
    from linkhub import clock, ids
    from linkhub.app import create_app
    from linkhub.models import Link, Workspace
    from linkhub.redirect import clicks as writer_sql

    workspace_id = init(data_dir)
    started = time.monotonic()
    app = create_app({"DATA_DIR": str(data_dir)})
    database = app.extensions["linkhub.db"]
    with app.app_context():
        database.connect(reuse_if_open=True)
        database.execute_sql("PRAGMA cache_size = -1000000")  # 1 GB: the indexes stay hot
        workspace = Workspace.get(Workspace.public_id == workspace_id)
        now = clock.now().replace(microsecond=0)
        with database.atomic():
            rows = [{"public_id": ids.new_id("link"), "workspace": workspace.id,
                     "short_code": f"b{n:06d}", "code_key": f"b{n:06d}", "domain_key": 0,
                     "destination_url": f"https://example.com/p/{n}", "title": f"Link {n}",
                     "conversion_tracking": True, "created_at": now, "updated_at": now}
                    for n in range(links)]
            for start in range(0, len(rows), 500):
                Link.insert_many(rows[start:start + 500]).execute()
        first_link = Link.select(Link.id).order_by(Link.id).first().id
        script = ""
        for values, name in ((COUNTRIES, "country"), (AGENTS, "agent"),
                             (REFERRERS, "referrer")):
            sql, _ = _weighted(values, name)
            script += sql
        database.connection().executescript(script)
        seconds = days * 86400
        made = 0
        while made < clicks:
            count = min(CHUNK, clicks - made)
            with database.atomic():
                before = database.execute_sql("SELECT COALESCE(MAX(id), 0) FROM click"
                                              ).fetchone()[0]
                database.execute_sql(_chunk_sql(workspace.id, first_link, links, count,
                                                now, seconds))
                made_at = time.monotonic()
                after = database.execute_sql("SELECT MAX(id) FROM click").fetchone()[0]
                span = (before, after)
                database.execute_sql(writer_sql._COUNTERS, span)
                writer_sql.write_rollups(span)
            made += count
            print(f"  {made:>10,} clicks ({time.monotonic() - started:.0f}s; this chunk's "
                  f"rollups and counters {time.monotonic() - made_at:.1f}s)", flush=True)
        with database.atomic():  # each first visit is a known visitor of its link
            database.execute_sql(
                "INSERT OR IGNORE INTO link_visitor (link_id, visitor_id, first_seen_at) "
                "SELECT link_id, visitor_id, created_at FROM click WHERE is_unique = 1")
        conversions = _conversions(database, workspace.id, now)
        database.execute_sql("ANALYZE")
        database.close()
    return {"workspaceId": workspace_id, "links": links, "clicks": clicks,
            "conversions": conversions, "seconds": round(time.monotonic() - started, 1)}


def _conversions(database, workspace_id: int, now) -> int:
    """Leads on ~2% of human clicks and sales on ~0.5%, attributed to their click."""
    database.execute_sql(f"""
        INSERT INTO conversion (public_id, created_at, updated_at, workspace_id,
            click_public_id, link_id, event, kind, status, source, value_micros, currency,
            value_usd_micros, occurred_at, country)
        SELECT 'conv_' || hex(randomblob(8)), created_at, created_at, {workspace_id},
            public_id, link_id, CASE WHEN r < 80 THEN 'lead' ELSE 'purchase' END,
            CASE WHEN r < 80 THEN 'lead' ELSE 'sale' END, 'approved', 'api',
            CASE WHEN r < 80 THEN 0 ELSE 1000000 * (5 + r) END, 'USD',
            CASE WHEN r < 80 THEN 0 ELSE 1000000 * (5 + r) END,
            datetime(created_at, '+' || (r * 60) || ' seconds'), country
        FROM (SELECT *, abs(random()) % 100 AS r FROM click WHERE bot = 0
              AND abs(random()) % 1000 < 25)""")
    return database.execute_sql("SELECT COUNT(*) FROM conversion").fetchone()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()
    if args.data_dir.exists() and any(args.data_dir.iterdir()):
        raise SystemExit(f"{args.data_dir} is not empty")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    print(json.dumps(build(args.data_dir, args.clicks, args.links, args.days)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
