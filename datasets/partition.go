package datasets

import "time"

// DayPartition is the partition of a row stamped t: "day=2006-01-02" in UTC, or "day=unknown"
// for the zero time.
func DayPartition(t time.Time) string {
	if t.IsZero() {
		return "day=unknown"
	}
	return "day=" + t.UTC().Format("2006-01-02")
}
