// query.js runs one SQL statement in an in-memory DuckDB and prints the rows as JSON.
// The SQL comes in RISKMAP_DUCKDB_SQL. NODE_PATH points at the node_modules holding @duckdb/node-api.
const { DuckDBInstance } = require('@duckdb/node-api');
(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const reader = await conn.runAndReadAll(process.env.RISKMAP_DUCKDB_SQL);
  const rows = reader.getRowObjectsJson();
  process.stdout.write(JSON.stringify(rows));
})().catch((e) => { process.stderr.write(String(e && e.message || e) + '\n'); process.exit(1); });
