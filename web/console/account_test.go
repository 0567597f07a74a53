package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// TestChangeOwnPassword: every role reaches its own password form; a
// mismatch or a wrong current password is refused with a reason and the
// form again (nothing typed shown back), a JSON client gets a problem; the
// right one changes the password (audited under the user's id); wrong
// guesses are throttled like sign-ins (429, Retry-After).
func TestChangeOwnPassword(t *testing.T) {
	forBackends(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		const old, next = "an old passphrase here", "a brand new passphrase"
		id, err := b.app.Users.Add(ctx, users.AddInput{Email: "me@example.com", Role: authz.RoleAuditor, Password: old})
		if err != nil {
			t.Fatal(err)
		}
		res, page := b.doAs(authz.RoleAuditor, id, http.MethodGet, "/account/password", nil)
		if res.StatusCode != 200 || !strings.Contains(page, `<label for="pw-current">`) || !strings.Contains(page, `autocomplete="new-password"`) || !strings.Contains(page, `href="/account/password"`) {
			t.Fatalf("form: %d %s", res.StatusCode, page)
		}
		post := func(cur, nw, confirm string) (*http.Response, string) {
			return b.doAs(authz.RoleAuditor, id, http.MethodPost, "/account/password", url.Values{"current": {cur}, "new": {nw}, "confirm": {confirm}})
		}
		for _, c := range []struct{ cur, nw, confirm, says string }{
			{old, next, next + "!", "confirmation differ"},
			{old, "tiny-pw", "tiny-pw", "shorter than 12"},
			{"not the old one at all", next, next, "current password is not right"},
		} {
			res, body := post(c.cur, c.nw, c.confirm)
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, c.says) || !strings.Contains(body, `id="pw-current"`) ||
				strings.Contains(body, c.cur) || strings.Contains(body, c.nw) {
				t.Errorf("%s: %d %.600s", c.says, res.StatusCode, body)
			}
		}
		req := newFormRequest("/account/password", url.Values{"current": {"wrong again, sorry"}, "new": {next}, "confirm": {next}})
		req.Header.Set("Accept", "application/json")
		req.AddCookie(&http.Cookie{Name: testPrincipalCookie, Value: "auditor:" + id})
		rec := serve(b.srv, req)
		var p httpx.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != 422 || p.Type != httpx.ProblemBase+"invalid" || !strings.Contains(p.Detail, "not right") {
			t.Fatalf("JSON: %d %s", rec.Code, rec.Body)
		}
		res, _ = post(old, next, next)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/account/password?done=password_changed" {
			t.Fatalf("change: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if _, err := b.app.Users.SignIn(ctx, "me@example.com", next, "192.0.2.50"); err != nil {
			t.Fatalf("the new password: %v", err)
		}
		if _, err := b.app.Users.SignIn(ctx, "me@example.com", old, "192.0.2.50"); !errors.Is(err, users.ErrSignInFailed) {
			t.Fatalf("the old password: %v", err)
		}
		var found bool
		for sr, err := range b.app.Store.Records(ctx, 1) {
			if err != nil {
				t.Fatal(err)
			}
			r, err := audit.DecodeBody(sr.Body)
			if err != nil {
				t.Fatal(err)
			}
			if r.Action == audit.ActionUserPasswordChanged && r.Outcome == audit.OutcomeSuccess {
				found = r.Actor == "user:"+id && len(r.ObjectIDs) > 0 && r.ObjectIDs[0] == id
			}
		}
		if !found {
			t.Fatal("no audit record of the change")
		}
		// Wrong guesses until the account's limit (two counted above, one
		// sign-in with the old password too): then 429 even for the right one.
		var last *http.Response
		for range users.DefaultAccountFailures {
			last, _ = post("guessing wildly now", next+"x", next+"x")
		}
		res, body := post(next, next+"x", next+"x")
		if last.StatusCode != http.StatusTooManyRequests || res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many wrong passwords") {
			t.Fatalf("throttled: %d then %d %q %.300s", last.StatusCode, res.StatusCode, res.Header.Get("Retry-After"), body)
		}
	})
}
