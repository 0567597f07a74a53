package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/internal/browsertest"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// scanned runs the workspace scan on the bundle's sandbox.
func (b *bundle) scanned() store.Scans {
	b.t.Helper()
	s := &scan.Scanner{Store: b.app.Store, Intercom: b.app.Intercom, Chain: b.app.Chain, Actor: "cli"}
	if _, err := s.Run(context.Background(), scan.ScanOptions{}); err != nil {
		b.t.Fatal(err)
	}
	return b.app.Store.(store.Scans)
}

// cardNumbers are the card numbers the sandbox put in its messages.
func (b *bundle) cardNumbers() []string {
	re := regexp.MustCompile(`\d(?:[ -]?\d){12,18}`)
	var out []string
	for _, c := range b.ws.Sandbox.Workspace().Conversations() {
		for _, p := range c.Parts {
			if strings.Contains(p.Body, "You charged my card") {
				out = append(out, re.FindAllString(p.Body, -1)...)
			}
		}
		if strings.Contains(c.Source.Body, "You charged my card") {
			out = append(out, re.FindAllString(c.Source.Body, -1)...)
		}
	}
	return out
}

// decided counts the scan.redaction_decided records by actor and outcome,
// and the access.denied records.
func (b *bundle) decided() map[string]int {
	b.t.Helper()
	out := map[string]int{}
	for sr, err := range b.app.Store.Records(context.Background(), 1) {
		if err != nil {
			b.t.Fatal(err)
		}
		rec, err := audit.DecodeBody(sr.Body)
		if err != nil {
			b.t.Fatal(err)
		}
		switch rec.Action {
		case audit.ActionScanRedactionDecided, audit.ActionScanRedactionProposed, audit.ActionAccessDenied:
			out[string(rec.Action)+" "+rec.Actor+" "+string(rec.Outcome)]++
		}
	}
	return out
}

// The redactions page: an agent proposes, the page lists references and no
// value, an auditor reads without forms, the proposer cannot approve even as
// a privacy officer (refused and audited), an agent cannot decide (403,
// audited), an officer approves with a reason and rejects with one (a
// rejection without a reason, or with personal data in it, changes nothing),
// a second decision conflicts; every step is in the audit trail.
func TestRedactionsPage(t *testing.T) {
	forBackends(t, func(t *testing.T, b *bundle) {
		sc := b.scanned()
		cards := b.cardNumbers()
		if len(cards) == 0 {
			t.Fatal("the sandbox generated no card numbers")
		}
		res, _ := b.do(authz.RoleAgent, http.MethodPost, "/redactions", url.Values{"types": {"card"}, "author": {"customer"}})
		if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "done=redactions_proposed") {
			t.Fatalf("propose: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		proposed, err := sc.RedactionsAwaiting(context.Background(), store.ApprovalProposed, 1000)
		if err != nil || len(proposed) < 3 {
			t.Fatalf("proposed: %d %v", len(proposed), err)
		}
		for _, x := range proposed {
			if x.ProposedBy != "user:u_agent" || x.AuthorRole != scan.RoleCustomer || x.Types != "CARD" {
				t.Fatalf("proposal %+v", x)
			}
		}

		// The auditor reads the list: ids, type, confidence, role; no value,
		// no form.
		res, body := b.do(authz.RoleAuditor, http.MethodGet, "/redactions", nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("auditor: %d", res.StatusCode)
		}
		for _, x := range proposed {
			if !strings.Contains(body, x.ConversationID) || !strings.Contains(body, x.PartID) {
				t.Fatalf("the page lacks %s/%s", x.ConversationID, x.PartID)
			}
		}
		for _, c := range cards {
			if strings.Contains(body, c) {
				t.Fatal("the page shows a card number")
			}
		}
		if !strings.Contains(body, "card") || !regexp.MustCompile(`<td>0\.\d\d</td>`).MatchString(body) || !strings.Contains(body, "customer") {
			t.Fatal("the page lacks the type, the confidence or the author's role")
		}
		if strings.Contains(body, "/approve") || strings.Contains(body, `action="/redactions"`) {
			t.Fatal("an auditor is offered a form")
		}
		// The agent who proposed sees no decision form either.
		if _, body := b.do(authz.RoleAgent, http.MethodGet, "/redactions", nil); strings.Contains(body, "/approve") {
			t.Fatal("an agent is offered the decision")
		}

		one, two, three := proposed[0], proposed[1], proposed[2]
		path := func(x store.Redaction, verb string) string {
			return "/redactions/" + x.ConversationID + "/" + x.PartID + "/" + verb
		}
		reason := url.Values{"reason": {"card number pasted in chat, PCI scope"}}
		// An agent may not decide (the route refuses the role and records it).
		if res, _ := b.do(authz.RoleAgent, http.MethodPost, path(one, "approve"), reason); res.StatusCode != http.StatusForbidden {
			t.Fatalf("an agent approves: %d", res.StatusCode)
		}
		// The proposer, now holding the privacy officer's role, may not
		// approve their own proposal: the workflow refuses and records it.
		res, body = b.doAs(authz.RolePrivacyOfficer, "u_agent", http.MethodPost, path(one, "approve"), reason)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "someone other than the person who proposed it") {
			t.Fatalf("the proposer approves: %d %.300s", res.StatusCode, body)
		}
		if _, body := b.doAs(authz.RolePrivacyOfficer, "u_agent", http.MethodGet, "/redactions", nil); !strings.Contains(body, "You proposed it") {
			t.Fatal("the proposer is offered the decision")
		}
		get := func(x store.Redaction) store.Redaction {
			t.Helper()
			got, err := sc.GetRedaction(context.Background(), x.ConversationID, x.PartID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := get(one); got.Approval != store.ApprovalProposed {
			t.Fatalf("after the refusals: %s", got.Approval)
		}

		// An officer approves one with a reason.
		res, _ = b.do(authz.RolePrivacyOfficer, http.MethodPost, path(one, "approve"), reason)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: %d", res.StatusCode)
		}
		if got := get(one); got.Approval != store.ApprovalApproved || got.DecidedBy != "user:u_privacy_officer" || got.State != store.RedactionQueued {
			t.Fatalf("approved: %+v", got)
		}
		// A rejection needs a reason, without personal data.
		if res, _ := b.do(authz.RolePrivacyOfficer, http.MethodPost, path(two, "reject"), url.Values{}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("reject without a reason: %d", res.StatusCode)
		}
		if res, _ := b.do(authz.RolePrivacyOfficer, http.MethodPost, path(two, "reject"), url.Values{"reason": {"ask jane.doe@example.com"}}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("reject with an e-mail address in the reason: %d", res.StatusCode)
		}
		if got := get(two); got.Approval != store.ApprovalProposed {
			t.Fatalf("after refused rejections: %s", got.Approval)
		}
		if res, _ := b.do(authz.RoleAdmin, http.MethodPost, path(two, "reject"), url.Values{"reason": {"an order number, not a card"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("reject: %d", res.StatusCode)
		}
		if got := get(two); got.Approval != store.ApprovalRejected || got.DecidedBy != "user:u_admin" {
			t.Fatalf("rejected: %+v", got)
		}
		// A second decision conflicts.
		if res, _ := b.do(authz.RolePrivacyOfficer, http.MethodPost, path(one, "reject"), reason); res.StatusCode != http.StatusConflict {
			t.Fatalf("a second decision: %d", res.StatusCode)
		}
		// An unknown part.
		if res, _ := b.do(authz.RolePrivacyOfficer, http.MethodPost, "/redactions/nope/nope/approve", reason); res.StatusCode != http.StatusNotFound {
			t.Fatalf("an unknown part: %d", res.StatusCode)
		}
		if got := get(three); got.Approval != store.ApprovalProposed {
			t.Fatalf("an undecided proposal: %s", got.Approval)
		}
		_, body = b.do(authz.RoleAuditor, http.MethodGet, "/redactions", nil)
		if !strings.Contains(body, "user:u_privacy_officer") || !strings.Contains(body, "user:u_admin") {
			t.Fatal("the decisions are not listed")
		}

		got := b.decided()
		want := map[string]int{
			"scan.redaction_proposed user:u_agent success":          len(proposed),
			"scan.redaction_decided user:u_agent failure":           1,
			"scan.redaction_decided user:u_privacy_officer success": 1,
			"scan.redaction_decided user:u_admin noop":              1,
			"access.denied user:u_agent failure":                    1,
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("audit %q: %d, want %d (all: %v)", k, got[k], n, got)
			}
		}
		if rep, err := b.app.VerifyAudit(context.Background()); err != nil || !rep.OK() {
			t.Fatalf("audit: %+v %v", rep, err)
		}
	})
}

// The redactions page in Chromium, without JavaScript: an agent proposes, a
// privacy officer approves through the page's form; axe-core checks the page
// as each sees it.
func TestRedactionsInBrowser(t *testing.T) {
	browsertest.Skip(t)
	bd := setup(t, storetest.SQLite())
	sc := bd.scanned()
	hs := httptest.NewServer(bd.srv)
	t.Cleanup(hs.Close)
	srv := hs.URL
	b := newBrowser(t, srv)
	scripts := func(off bool) {
		if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off}); err != nil {
			t.Fatal(err)
		}
	}
	b.signIn("agent")
	b.visit("redactions-empty", "/redactions", "Redactions in Intercom")
	scripts(true)
	b.do(chromedp.Navigate(srv+"/redactions"), chromedp.WaitVisible(chromedp.CSS("#p-types")),
		chromedp.Click(chromedp.CSS(`form.stack button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("p.done")))
	scripts(false)
	b.axe("redactions-agent")
	proposed, err := sc.RedactionsAwaiting(context.Background(), store.ApprovalProposed, 1000)
	if err != nil || len(proposed) == 0 {
		t.Fatalf("nothing proposed through the page: %v", err)
	}
	b.signIn("privacy_officer")
	b.visit("redactions-officer", "/redactions", "Redactions in Intercom")
	x := proposed[0]
	field := "#why-" + x.ConversationID + "-" + x.PartID
	scripts(true)
	b.do(chromedp.Navigate(srv+"/redactions"), chromedp.WaitVisible(chromedp.CSS(field)),
		chromedp.SendKeys(chromedp.CSS(field), "a card number in a customer message"),
		chromedp.Click(chromedp.CSS(`form[action="/redactions/`+x.ConversationID+`/`+x.PartID+`/approve"] button[type="submit"]:not(.secondary)`)),
		chromedp.WaitVisible(chromedp.CSS("p.done")))
	scripts(false)
	b.axe("redactions-approved")
	got, err := sc.GetRedaction(context.Background(), x.ConversationID, x.PartID)
	if err != nil || got.Approval != store.ApprovalApproved || got.DecidedBy != "user:u_privacy_officer" {
		t.Fatalf("approved through the page: %+v %v", got, err)
	}
	b.signIn("auditor")
	b.visit("redactions-auditor", "/redactions", "Redactions in Intercom")
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.exceptions {
		t.Errorf("page exception: %s", e)
	}
}
