-- The aggregates of features.Build, computed by DuckDB from the same Parquet files, for
-- BenchmarkBuild. {{DIR}} is the workspace, {{ASOF}} the as_of time in microseconds. It
-- returns one row of sums that the benchmark compares with the sums of Build's columns.
WITH
sc AS (
  SELECT scan_id, epoch_us(started) AS st,
         CASE WHEN finished IS NULL THEN epoch_us(started) ELSE greatest(epoch_us(finished), epoch_us(started)) END AS done
  FROM read_parquet('{{DIR}}/tables/scans/**/*.parquet')
),
asn AS (
  SELECT asset_id, provider, account, snapshot_time, image, "group", subnet
  FROM read_parquet('{{DIR}}/tables/assets/**/*.parquet')
  WHERE epoch_us(snapshot_time) <= {{ASOF}}
),
latest AS (SELECT provider, account, max(snapshot_time) AS t FROM asn GROUP BY ALL),
a AS (
  SELECT asn.asset_id, asn.image, asn."group", asn.subnet
  FROM asn JOIN latest ON asn.provider = latest.provider AND asn.account = latest.account AND asn.snapshot_time = latest.t
),
o AS (
  SELECT o.asset_id, o.scan_id, sc.st AS k, o.port, o.proto, o.state = 'open' AS is_open,
         o.service, o.product, o.version, o.tunnel
  FROM read_parquet('{{DIR}}/tables/observations/**/*.parquet') o
  JOIN sc USING (scan_id)
  WHERE epoch_us(o.scan_time) <= {{ASOF}} AND sc.st <= {{ASOF}} AND o.asset_id IN (SELECT asset_id FROM a)
),
h AS (
  SELECT h.asset_id, h.scan_id, sc.st AS k, h.status = 'up' AS up
  FROM read_parquet('{{DIR}}/tables/hosts/**/*.parquet') h
  JOIN sc USING (scan_id)
  WHERE epoch_us(h.scan_time) <= {{ASOF}} AND sc.st <= {{ASOF}} AND h.asset_id IN (SELECT asset_id FROM a)
),
hagg AS (SELECT asset_id, max(k) AS hlast, count(DISTINCT scan_id) FILTER (WHERE up) AS scans_up FROM h GROUP BY 1),
oscan AS (SELECT asset_id, scan_id, count(*) FILTER (WHERE is_open) AS n FROM o GROUP BY 1, 2),
oagg AS (SELECT asset_id, max(n) AS peak, count(*) AS oscans FROM oscan GROUP BY 1),
olast AS (SELECT asset_id, max(k) AS olast FROM o GROUP BY 1),
last AS (
  SELECT a.asset_id, greatest(coalesce(hlast, 0), coalesce(olast, 0)) AS last
  FROM a LEFT JOIN hagg USING (asset_id) LEFT JOIN olast USING (asset_id)
),
ports AS (
  SELECT asset_id, port, proto,
         max(k) FILTER (WHERE is_open) AS last_open,
         arg_max(service, k) FILTER (WHERE is_open) AS service,
         arg_max(product, k) FILTER (WHERE is_open) AS product,
         arg_max(version, k) FILTER (WHERE is_open) AS version,
         arg_max(tunnel, k) FILTER (WHERE is_open) AS tunnel
  FROM o GROUP BY 1, 2, 3
),
pnow AS (
  SELECT p.*, p.last_open IS NOT NULL AND p.last_open = l.last AND l.last > 0 AS now
  FROM ports p JOIN last l USING (asset_id)
),
nowagg AS (
  SELECT asset_id,
         count(*) FILTER (WHERE last_open IS NOT NULL) AS ever,
         count(*) FILTER (WHERE now) AS open_now,
         count(*) FILTER (WHERE now AND (tunnel = 'ssl' OR service IN ('https', 'ssl', 'imaps', 'pop3s', 'smtps', 'ldaps', 'ftps'))) AS tls,
         count(*) FILTER (WHERE now AND service LIKE 'http%') AS http,
         count(*) FILTER (WHERE now AND (service IN ('telnet', 'ftp', 'microsoft-ds', 'netbios-ssn', 'ms-wbt-server', 'vnc',
                  'redis', 'mongodb', 'memcached', 'docker', 'kubernetes', 'elasticsearch')
                  OR product ILIKE '%elasticsearch%')) AS risky
  FROM pnow GROUP BY 1
),
fnd AS (
  SELECT f.asset_id, f.scan_id, sc.st AS k, f.severity
  FROM read_parquet('{{DIR}}/tables/findings/**/*.parquet') f
  JOIN sc USING (scan_id)
  WHERE sc.done <= {{ASOF}} AND sc.st > 0 AND f.asset_id IN (SELECT asset_id FROM a)
),
flast AS (SELECT asset_id, max(k) AS fk FROM fnd GROUP BY 1),
fagg AS (
  SELECT f.asset_id,
         count(*) FILTER (WHERE f.k = fl.fk AND severity = 'critical') AS crit,
         count(*) FILTER (WHERE f.k = fl.fk AND severity = 'high') AS high,
         count(*) FILTER (WHERE f.k = fl.fk AND severity IN ('info', 'low', 'medium')) AS lower,
         count(DISTINCT f.scan_id) FILTER (WHERE severity IN ('high', 'critical')) AS serious_scans
  FROM fnd f JOIN flast fl USING (asset_id) GROUP BY 1
),
dif AS (
  SELECT d.asset_id, sc.st AS k, d.change
  FROM read_parquet('{{DIR}}/tables/diffs/**/*.parquet') d
  JOIN sc USING (scan_id)
  WHERE epoch_us(d.scan_time) <= {{ASOF}} AND sc.done <= {{ASOF}} AND d.asset_id IN (SELECT asset_id FROM a)
),
dlast AS (SELECT asset_id, max(k) AS dk FROM dif GROUP BY 1),
dagg AS (
  SELECT d.asset_id,
         count(*) FILTER (WHERE k = dk AND change = 'new_port') AS dnew,
         count(*) FILTER (WHERE k = dk AND change = 'closed_port') AS dclosed,
         count(*) FILTER (WHERE change IN ('new_port', 'closed_port', 'version_changed', 'service_changed', 'cpe_changed', 'port_state_changed')) AS dtotal
  FROM dif d JOIN dlast USING (asset_id) GROUP BY 1
),
feat AS (
  SELECT a.asset_id, a.image, a."group", a.subnet,
         coalesce(n.open_now, 0) AS open_now, coalesce(n.ever, 0) AS ever, coalesce(oa.peak, 0) AS peak,
         coalesce(n.tls, 0) AS tls, coalesce(n.http, 0) AS http, coalesce(n.risky, 0) AS risky,
         greatest(coalesce(ha.scans_up, 0), coalesce(oa.oscans, 0)) AS scans,
         CASE WHEN l.last > 0 THEN least(({{ASOF}} - l.last) / 3.6e9, 8760) ELSE 8760 END AS hours,
         coalesce(fa.crit, 0) AS crit, coalesce(fa.high, 0) AS high, coalesce(fa.lower, 0) AS lower,
         coalesce(fa.serious_scans, 0) AS serious_scans,
         CASE WHEN coalesce(fa.serious_scans, 0) > 0 THEN 1 ELSE 0 END AS serious,
         coalesce(da.dnew, 0) AS dnew, coalesce(da.dclosed, 0) AS dclosed, coalesce(da.dtotal, 0) AS dtotal
  FROM a
  LEFT JOIN nowagg n USING (asset_id) LEFT JOIN oagg oa USING (asset_id) LEFT JOIN hagg ha USING (asset_id)
  LEFT JOIN last l USING (asset_id) LEFT JOIN fagg fa USING (asset_id) LEFT JOIN dagg da USING (asset_id)
),
nb AS (
  SELECT *,
         CASE WHEN image = '' OR count(*) OVER wi <= 1 THEN 0
              ELSE (sum(serious) OVER wi - serious) / (count(*) OVER wi - 1) END AS nbr_image,
         CASE WHEN "group" = '' OR count(*) OVER wg <= 1 THEN 0
              ELSE (sum(serious) OVER wg - serious) / (count(*) OVER wg - 1) END AS nbr_group,
         CASE WHEN subnet = '' OR count(*) OVER ws <= 1 THEN 0
              ELSE (sum(serious) OVER ws - serious) / (count(*) OVER ws - 1) END AS nbr_subnet
  FROM feat
  WINDOW wi AS (PARTITION BY image), wg AS (PARTITION BY "group"), ws AS (PARTITION BY subnet)
)
SELECT count(*)::BIGINT AS assets,
       sum(open_now)::DOUBLE AS open_ports_now, sum(ever)::DOUBLE AS open_ports_ever, sum(peak)::DOUBLE AS open_ports_peak,
       sum(tls)::DOUBLE AS tls_ports_now, sum(http)::DOUBLE AS http_ports_now, sum(risky)::DOUBLE AS risky_ports_now,
       sum(scans)::DOUBLE AS scans_seen, sum(hours)::DOUBLE AS hours_since_last_scan,
       sum(crit)::DOUBLE AS findings_critical, sum(high)::DOUBLE AS findings_high, sum(lower)::DOUBLE AS findings_lower,
       sum(serious_scans)::DOUBLE AS serious_scans,
       sum(dnew)::DOUBLE AS diff_new_ports, sum(dclosed)::DOUBLE AS diff_closed_ports,
       sum(dtotal / greatest(scans, 1))::DOUBLE AS churn_rate,
       sum(nbr_image)::DOUBLE AS nbr_image_serious, sum(nbr_group)::DOUBLE AS nbr_group_serious,
       sum(nbr_subnet)::DOUBLE AS nbr_subnet_serious
FROM nb
