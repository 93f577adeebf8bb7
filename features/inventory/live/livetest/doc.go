// Package livetest serves the cloud providers' APIs from an estate held in memory, for the
// tests and benchmarks of live sync: EC2's Query API (XML, NextToken pages,
// RequestLimitExceeded), Azure Resource Manager (ARM JSON, nextLink, 429 with Retry-After)
// and Compute Engine's REST API (JSON, nextPageToken, 429 with Retry-After). Each server is
// an http.Handler built from the providers' documented wire formats; the real SDKs talk to
// it through their endpoint overrides. The estates are CLI exports (the testdata of
// features/inventory), converted to each wire format on the way out.
package livetest
