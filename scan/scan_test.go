package scan_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

var bg = context.Background()

func scanner(a *app.App) *scan.Scanner {
	return &scan.Scanner{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "cli"}
}

func redactor(a *app.App) *scan.Redactor {
	return &scan.Redactor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "cli", RetryFor: 1, Backoff: 1}
}

func scans(t *testing.T, a *app.App) store.Scans {
	t.Helper()
	sc, ok := a.Store.(store.Scans)
	if !ok {
		t.Fatal("store keeps no scans")
	}
	return sc
}

// cardParts lists, from the sandbox itself, the conversation parts whose body
// holds a card number the sandbox generated ("You charged my card ...").
func cardParts(sb *sandbox.Server) map[string]bool {
	out := map[string]bool{}
	for _, c := range sb.Workspace().Conversations() {
		for _, p := range c.Parts {
			if strings.Contains(p.Body, "You charged my card") && !p.Redacted {
				out[c.ID+"/"+p.ID] = true
			}
		}
		if strings.Contains(c.Source.Body, "You charged my card") && !c.Source.Redacted {
			out[c.ID+"/"+c.Source.ID] = true
		}
	}
	return out
}

func TestScanReportRedact(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			w := apptest.New(t, b, apptest.Options{Sandbox: sandbox.Options{Contacts: 30, Seed: 5}})
			a := w.Open("cli")
			want := cardParts(w.Sandbox)
			if len(want) == 0 {
				t.Fatal("the sandbox generated no card numbers")
			}
			var last scan.Progress
			res, err := scanner(a).Run(bg, scan.ScanOptions{Progress: func(p scan.Progress) { last = p }})
			if err != nil {
				t.Fatal(err)
			}
			n := int64(len(w.Sandbox.Workspace().Conversations()))
			if res.Run.State != store.ScanDone || res.Run.Scanned != n || res.Run.Total != n || last.Done != n {
				t.Fatalf("run %+v, progress %+v, want %d conversations", res.Run, last, n)
			}
			targets, err := scans(t, a).RedactionTargets(bg, []string{"CARD"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, x := range targets {
				got[x.ConversationID+"/"+x.PartID] = true
				if x.AuthorRole != scan.RoleCustomer {
					t.Errorf("card finding by %s", x.AuthorRole)
				}
			}
			for k := range want {
				if !got[k] {
					t.Errorf("card in %s not found", k)
				}
			}
			for k := range got {
				if !want[k] {
					t.Errorf("card finding in %s, where the sandbox wrote none", k)
				}
			}

			// The report holds no value, only counts and ids.
			rep, err := scan.BuildReport(bg, a.Store, scan.ReportOptions{AppID: "abc123"})
			if err != nil {
				t.Fatal(err)
			}
			var js, tb, hb bytes.Buffer
			for _, e := range []error{rep.WriteJSON(&js), rep.WriteTable(&tb), rep.WriteHTML(&hb)} {
				if e != nil {
					t.Fatal(e)
				}
			}
			for _, c := range w.Sandbox.Workspace().Conversations() {
				for _, p := range c.Parts {
					if i := strings.Index(p.Body, "my card "); i >= 0 {
						card := p.Body[i+8 : i+8+19]
						for name, out := range map[string]string{"json": js.String(), "table": tb.String(), "html": hb.String()} {
							if strings.Contains(out, card) || strings.Contains(out, strings.ReplaceAll(card, " ", "")) {
								t.Fatalf("the %s report holds a card number", name)
							}
						}
					}
				}
			}
			if rep.Sensitive["CARD"] == 0 || rep.Redaction.Parts != len(want) || !strings.Contains(hb.String(), "https://app.intercom.com/a/inbox/abc123/inbox/conversation/") {
				t.Fatalf("report: sensitive %v, redaction %+v", rep.Sensitive, rep.Redaction)
			}
			if strings.Contains(hb.String(), "<script") || strings.Contains(hb.String(), "src=") {
				t.Fatal("the HTML report loads something")
			}

			// Dry run: nothing changes; the limit applies.
			r := redactor(a)
			dry, err := r.Run(bg, scan.RedactOptions{Types: []pii.Type{pii.TypeCard}, DryRun: true, Max: 1})
			if err != nil || len(dry.Planned) != 1 || dry.Remaining != len(want)-1 {
				t.Fatalf("dry run: %+v %v", dry, err)
			}
			if st := w.Sandbox.Stats(); len(st.Effects[sandbox.EffectPartRedacted]) != 0 {
				t.Fatal("a dry run redacted")
			}
			out, err := r.Run(bg, scan.RedactOptions{Types: []pii.Type{pii.TypeCard}, Yes: true})
			if err != nil || out.Counts[store.RedactionDone] != len(want) {
				t.Fatalf("redact: %+v %v", out.Counts, err)
			}
			st := w.Sandbox.Stats()
			for k := range want {
				if n := st.Effect(sandbox.EffectPartRedacted, strings.Replace(k, "/", "/part:", 1)) + st.Effect(sandbox.EffectPartRedacted, strings.Replace(k, "/", "/source:", 1)); n != 1 {
					t.Errorf("%s redacted %d times", k, n)
				}
			}
			if left := cardParts(w.Sandbox); len(left) != 0 {
				t.Fatalf("%d card parts left", len(left))
			}
			// Again: nothing left to do; an incremental scan re-reads only the
			// conversations the redactions changed, and finds no card.
			again, err := r.Run(bg, scan.RedactOptions{Types: []pii.Type{pii.TypeCard}, Yes: true})
			if err != nil || len(again.Planned) != 0 {
				t.Fatalf("second redact: %+v %v", again, err)
			}
			res2, err := scanner(a).Run(bg, scan.ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res2.Run.WindowFrom != res.Run.WindowTo {
				t.Fatalf("incremental window from %v, want %v", res2.Run.WindowFrom, res.Run.WindowTo)
			}
			// Only tickets' attributes still hold cards: Intercom cannot redact them.
			top, _ := scans(t, a).TopScanConversations(bg, 100000)
			for _, c := range top {
				if slices.Contains(c.Types, "CARD") && !strings.HasPrefix(c.ConversationID, scan.TicketKeyPrefix) {
					t.Fatalf("cards after redaction and rescan: %+v", c)
				}
			}
		})
	}
}

// TestRedactWithoutScope: a token that may read but not redact stops the run
// with the permission to grant, and marks nothing done.
func TestRedactWithoutScope(t *testing.T) {
	w := apptest.New(t, storetest.SQLite(), apptest.Options{Sandbox: sandbox.Options{Contacts: 20, Seed: 5},
		Wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/conversations/redact" {
					rw.Header().Set("Content-Type", "application/json")
					rw.WriteHeader(http.StatusForbidden)
					_, _ = rw.Write([]byte(`{"type":"error.list","request_id":"t","errors":[{"code":"token_unauthorized","message":"Missing scope"}]}`))
					return
				}
				h.ServeHTTP(rw, r)
			})
		}})
	a := w.Open("cli")
	if _, err := scanner(a).Run(bg, scan.ScanOptions{Types: []pii.Type{pii.TypeCard}}); err != nil {
		t.Fatal(err)
	}
	_, err := redactor(a).Run(bg, scan.RedactOptions{Yes: true})
	if !errors.Is(err, scan.ErrMissingScope) || !strings.Contains(err.Error(), "Write conversations") {
		t.Fatalf("err = %v", err)
	}
	rc, _ := scans(t, a).RedactionCounts(bg)
	for s, n := range rc {
		if s.Final() && n > 0 {
			t.Fatalf("%d redaction(s) marked %s without the scope", n, s)
		}
	}
	if rc[store.RedactionFailed] != 1 {
		t.Fatalf("counts %v: want the one part tried recorded as failed", rc)
	}
}
