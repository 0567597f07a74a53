package dsar

import (
	"encoding/json"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// FuzzStepDetails feeds arbitrary bytes where Run reads its own step details back
// (the resolve step, per-object progress, the lease): a damaged row must give an
// error, never a panic, and a readable one must round-trip.
func FuzzStepDetails(f *testing.F) {
	f.Add([]byte(`{"contacts":[{"id":"c1","status":"active","matched_by":["email"]}],"notices":["archived_by_id_only"]}`))
	f.Add([]byte(`{"planned":true,"targets":["1","2"],"done":["1"],"counts":{"contacts_deleted":1}}`))
	f.Add([]byte(`{"owner":"w1","until":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"contacts":null}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &runner{id: "req_x", steps: map[string]store.Step{StepResolve: {Name: StepResolve, Detail: data}}}
		if err := r.loadResolution(); err == nil {
			_ = r.orderedContacts()
			_ = r.personContacts()
			_ = r.nothingFound()
		}
		var p deleteProgress
		if json.Unmarshal(data, &p) == nil {
			b, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			var q deleteProgress
			if err := json.Unmarshal(b, &q); err != nil {
				t.Fatalf("progress does not round-trip: %v", err)
			}
		}
		var l leaseDetail
		_ = json.Unmarshal(data, &l)
		_ = countsOfDetail(data)
	})
}

// countsOfDetail decodes the counts any step detail carries, as complete does.
func countsOfDetail(data []byte) map[string]int64 {
	var d struct {
		Counts map[string]int64 `json:"counts"`
	}
	_ = json.Unmarshal(data, &d)
	return d.Counts
}
