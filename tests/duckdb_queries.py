#!/usr/bin/env python3
"""Runs the SQL of docs/SCALE.md against Parquet files, for tests/duckdb.rs.

usage: duckdb_queries.py ROOT SCALE.md

ROOT holds host=<label>/<table>.parquet. Every ```sql block of SCALE.md
that starts with `-- query: NAME` is run, after a view per table over
ROOT/host=*/<table>.parquet; one JSON object per query is printed:
{"query": NAME, "columns": [...], "rows": [[...], ...]}. Values that JSON
cannot hold (dates, timestamps) are printed as text.
"""
import json
import re
import sys

import duckdb

root, doc = sys.argv[1], sys.argv[2]
con = duckdb.connect()
for table in ["sessions", "items", "accounts", "causes", "hosts", "modules", "diagnostics"]:
    con.execute(
        f"CREATE VIEW {table} AS SELECT * FROM "
        f"read_parquet('{root}/host=*/{table}.parquet', hive_partitioning = false)"
    )
with open(doc, encoding="utf-8") as f:
    text = f.read()
for block in re.findall(r"```sql\n(.*?)```", text, re.S):
    m = re.match(r"-- query: (\w+)\n", block)
    if not m:
        continue
    cur = con.execute(block)
    columns = [d[0] for d in cur.description]
    rows = [
        [v if v is None or isinstance(v, (bool, int, float, str)) else str(v) for v in row]
        for row in cur.fetchall()
    ]
    print(json.dumps({"query": m.group(1), "columns": columns, "rows": rows}))
