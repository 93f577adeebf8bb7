import numpy as np, datetime as dt
rng = np.random.default_rng(20261122)
rows = []
t0 = dt.datetime(2026, 9, 7, tzinfo=dt.timezone.utc)
n_assets = 110
public = rng.random(n_assets) < 0.35
crit = rng.integers(0, 4, n_assets)
age0 = rng.integers(1, 900, n_assets)
base_ports = rng.poisson(1.2, n_assets)
risky = rng.poisson(0.3, n_assets)
for week in range(8):
    for a in range(n_assets):
        drift = rng.random() < 0.08
        internet_ports = int(public[a]) * (int(base_ports[a]) + int(drift) * int(rng.integers(1, 3)))
        internet_admin = int(public[a] and rng.random() < 0.3)
        internet_data = int(public[a] and (risky[a] > 0 or drift) and rng.random() < 0.5)
        open_now = int(base_ports[a] + risky[a] + int(drift) + rng.poisson(2))
        risky_now = int(risky[a] + int(drift and rng.random() < 0.6))
        scanned = rng.random() < 0.85
        hours = round(float(rng.exponential(60)), 1) if scanned else float('nan')
        epss = round(float(rng.beta(0.6, 12)), 4) if scanned and open_now > 0 else float('nan')
        z = (-3.4 + 1.3 * internet_data + 0.9 * internet_admin + 0.35 * internet_ports + 0.5 * risky_now
             + 0.4 * crit[a] * int(public[a]) + (0 if epss != epss else 6 * epss) - 0.0006 * (age0[a] + 7 * week))
        y = int(rng.random() < 1 / (1 + np.exp(-z)))
        rows.append((t0 + dt.timedelta(days=7 * week), f"i-{a:04x}", int(public[a]), internet_ports, internet_admin,
                     internet_data, open_now, risky_now, int(age0[a] + 7 * week), int(crit[a]), hours, epss, y))
with open("testdata/assets.csv", "w") as f:
    f.write("as_of,asset_id,has_public_ip,internet_ports,internet_admin,internet_data,open_now,risky_now,age_days,criticality,hours_since_scan,epss_max,serious\n")
    for r in rows:
        vals = [r[0].strftime("%Y-%m-%dT%H:%M:%SZ"), r[1]] + ["" if (isinstance(v, float) and v != v) else str(v) for v in r[2:]]
        f.write(",".join(vals) + "\n")
ys = [r[-1] for r in rows]
print(len(rows), sum(ys) / len(ys))
