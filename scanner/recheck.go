package scanner

import "github.com/riskmap/riskmap"

// recheck puts every asset with known serious exposures whose last scan is older than
// cfg.Recheck at the light tier (its predicted ports include every port it was seen to
// open), before anything else: is it still open, or fixed?
func (pl *planner) recheck() {
	if pl.cfg.Recheck <= 0 {
		return
	}
	for _, k := range pl.cs {
		if len(k.c.KnownSerious) == 0 || len(k.ips) == 0 || k.tier != riskmap.TierSkip {
			continue
		}
		if !k.c.LastScanned.IsZero() && pl.now.Sub(k.c.LastScanned) < pl.cfg.Recheck {
			continue
		}
		if limit, _ := pl.quietCap(k.c.Tags); limit < riskmap.TierLight {
			continue
		}
		if ok, _ := pl.fits(k, k.probes[riskmap.TierLight], pl.cfg.Budget); !ok {
			continue
		}
		pl.take(k, riskmap.TierLight)
		k.recheck = true
		if k.skip == SkipMinRescan {
			k.skip = ""
		}
	}
}
