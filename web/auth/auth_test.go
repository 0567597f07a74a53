package auth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/users/userstest"
	"github.com/intercom-privacy/intercom-privacy/web/auth"
)

const pw = "correct horse battery staple"

// bundle is one test's server: the sign-in routes, and /whoami and POST /act
// behind Authenticate, answering the principal's user id or 401.
type bundle struct {
	env *userstest.Env
	h   *auth.Handler
	srv *httptest.Server
}

func setup(t *testing.T, b storetest.Backend, o auth.Options) *bundle {
	env := userstest.New(t, b)
	o.Users, o.Now = env.Service, env.Clock.Now
	h, err := auth.New(o)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	who := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := authz.PrincipalFrom(r.Context())
		if !ok {
			http.Error(w, "signed out", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, p.UserID+" "+string(p.Role)+" "+string(p.Via))
	})
	mux.Handle("GET /whoami", h.Authenticate(who))
	mux.Handle("POST /act", h.Authenticate(who))
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	return &bundle{env: env, h: h, srv: srv}
}

// browser is a client with a cookie jar that does not follow redirects and
// sends the headers a browser sends on a same-origin form post.
type browser struct {
	t   *testing.T
	b   *bundle
	c   *http.Client
	hdr map[string]string
}

func (b *bundle) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	c := new(http.Client)
	*c = *b.srv.Client() // a copy: srv.Client() is one shared client
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, b: b, c: c, hdr: map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": b.srv.URL}}
}

func (br *browser) do(method, path string, form url.Values, extra ...string) (*http.Response, string) {
	br.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, br.b.srv.URL+path, body)
	if err != nil {
		br.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method == http.MethodPost {
		for k, v := range br.hdr {
			req.Header.Set(k, v)
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	resp, err := br.c.Do(req)
	if err != nil {
		br.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var keyRE = regexp.MustCompile(`<code class="key">([A-Z2-7]+)</code>`)

// enrol signs a new account in through the pages, enrolling its second
// factor, and returns the browser, the TOTP key and the recovery codes.
func (b *bundle) enrol(t *testing.T, email string, role authz.Role) (*browser, string, []string) {
	t.Helper()
	if _, err := b.env.Service.Add(context.Background(), users.AddInput{Email: email, Role: role, Password: pw}); err != nil {
		t.Fatal(err)
	}
	br := b.browser(t)
	resp, _ := br.do("POST", auth.PathSignIn, url.Values{"email": {email}, "password": {pw}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != auth.PathEnrol {
		t.Fatalf("sign in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := br.do("GET", auth.PathEnrol, nil)
	m := keyRE.FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("enrol page: %d %s", resp.StatusCode, body)
	}
	if resp, body := br.do("GET", auth.PathEnrolQR, nil); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(body, "\x89PNG") {
		t.Fatalf("QR code: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, body = br.do("POST", auth.PathEnrol, url.Values{"code": {b.env.Code(t, m[1])}})
	codes := regexp.MustCompile(`<li><code>([a-z0-9-]+)</code></li>`).FindAllStringSubmatch(body, -1)
	if resp.StatusCode != 200 || len(codes) != users.RecoveryCodes {
		t.Fatalf("confirm: %d %s", resp.StatusCode, body)
	}
	var out []string
	for _, c := range codes {
		out = append(out, c[1])
	}
	b.env.Clock.Advance(30 * time.Second)
	return br, m[1], out
}

func TestSignInPagesAndSessionCookie(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			b := setup(t, be, auth.Options{AfterSignIn: "/console"})
			br, key, _ := b.enrol(t, "ola@example.com", authz.RoleAgent)
			resp, body := br.do("GET", "/whoami", nil)
			if resp.StatusCode != 200 || !strings.HasSuffix(body, " agent session") {
				t.Fatalf("whoami after enrolment: %d %q", resp.StatusCode, body)
			}

			// A second sign-in: password, then code; the cookie is rotated.
			old := cookieValue(br, b)
			resp, _ = br.do("POST", auth.PathSignIn, url.Values{"email": {"ola@example.com"}, "password": {pw}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != auth.PathCode {
				t.Fatalf("sign in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			sc := resp.Header.Get("Set-Cookie")
			for _, attr := range []string{auth.SessionCookie + "=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
				if !strings.Contains(sc, attr) {
					t.Errorf("Set-Cookie %q lacks %s", sc, attr)
				}
			}
			if strings.Contains(sc, "Domain=") {
				t.Errorf("a __Host- cookie with a Domain: %q", sc)
			}
			if r, _ := br.do("GET", "/whoami", nil); r.StatusCode != 401 {
				t.Fatalf("half signed in counts as signed in: %d", r.StatusCode)
			}
			resp, _ = br.do("POST", auth.PathCode, url.Values{"code": {b.env.Code(t, key)}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console" {
				t.Fatalf("code: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			current := cookieValue(br, b)
			if current == old {
				t.Fatal("the session cookie was not rotated at sign-in")
			}
			// The cookie from before this sign-in no longer works.
			if r, _ := b.withCookie(t, old, "GET", "/whoami"); r.StatusCode != 401 {
				t.Fatalf("old cookie after the new sign-in: %d", r.StatusCode)
			}
			// Sign out; a copy of the cookie replayed afterwards is refused.
			resp, _ = br.do("POST", auth.PathSignOut, url.Values{})
			if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Set-Cookie"), "Max-Age=0") {
				t.Fatalf("sign out: %d %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
			}
			if r, _ := b.withCookie(t, current, "GET", "/whoami"); r.StatusCode != 401 {
				t.Fatalf("replayed cookie after sign-out: %d", r.StatusCode)
			}
			// Every page forbids script and framing.
			resp, _ = br.do("GET", auth.PathSignIn, nil)
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") {
				t.Fatalf("CSP %q", csp)
			}
		})
	}
}

func cookieValue(br *browser, b *bundle) string {
	u, _ := url.Parse(b.srv.URL)
	for _, c := range br.c.Jar.Cookies(u) {
		if c.Name == auth.SessionCookie {
			return c.Value
		}
	}
	return ""
}

func (b *bundle) withCookie(t *testing.T, value, method, path string, hdr ...string) (*http.Response, string) {
	br := b.browser(t)
	return br.do(method, path, nil, append([]string{"Cookie", auth.SessionCookie + "=" + value}, hdr...)...)
}

func TestWrongPasswordsThrottledSameAnswer(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			b := setup(t, be, auth.Options{})
			if _, err := b.env.Service.Add(context.Background(), users.AddInput{Email: "k@example.com", Role: authz.RoleAgent, Password: pw}); err != nil {
				t.Fatal(err)
			}
			answers, statuses := map[string]string{}, map[string][]string{}
			for _, email := range []string{"k@example.com", "unknown@example.com"} {
				br := b.browser(t)
				var seq []string
				for range users.DefaultAccountFailures + 1 {
					resp, body := br.do("POST", auth.PathSignIn, url.Values{"email": {email}, "password": {"not the password"}})
					body = strings.ReplaceAll(body, email, "EMAIL")
					seq = append(seq, resp.Status+"|"+resp.Header.Get("Retry-After")+"|"+body)
				}
				statuses[email] = seq
				answers[email] = strings.Join(seq, "\n")
			}
			if answers["k@example.com"] != answers["unknown@example.com"] {
				t.Fatalf("a known and an unknown account were answered differently:\n%s\n---\n%s", answers["k@example.com"], answers["unknown@example.com"])
			}
			seq := statuses["k@example.com"]
			for i, a := range seq {
				want := "401 Unauthorized||"
				if i == len(seq)-1 {
					want = "429 Too Many Requests|900|"
				}
				if !strings.HasPrefix(a, want) {
					t.Fatalf("answer %d: %.40q, want %s", i, a, want)
				}
			}
		})
	}
}

func TestCrossOriginPostRejected(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			b := setup(t, be, auth.Options{})
			br, _, _ := b.enrol(t, "x@example.com", authz.RoleAdmin)
			before := len(b.env.Records(t))
			evil := []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}
			// Signing in or out from another site is refused, and does nothing.
			resp, _ := br.do("POST", auth.PathSignIn, url.Values{"email": {"x@example.com"}, "password": {"wrong wrong wrong"}}, evil...)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("cross-origin sign-in: %d", resp.StatusCode)
			}
			if resp, _ := br.do("POST", auth.PathSignOut, url.Values{}, evil...); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("cross-origin sign-out: %d", resp.StatusCode)
			}
			if r, _ := br.do("GET", "/whoami", nil); r.StatusCode != 200 {
				t.Fatalf("still signed in after the refused sign-out: %d", r.StatusCode)
			}
			// A state-changing request from another site does not get the
			// cookie's principal; the same from this site does.
			if r, _ := br.do("POST", "/act", url.Values{}, evil...); r.StatusCode != 401 {
				t.Fatalf("cross-origin POST acted as the user: %d", r.StatusCode)
			}
			if r, _ := br.do("POST", "/act", url.Values{}); r.StatusCode != 200 {
				t.Fatalf("same-origin POST: %d", r.StatusCode)
			}
			if n := len(b.env.Records(t)); n != before {
				t.Fatalf("%d audit records written by refused requests", n-before)
			}
		})
	}
}

func TestBearerTokenRevokedMidSession(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			b := setup(t, be, auth.Options{})
			ctx := context.Background()
			if _, err := b.env.Service.Add(ctx, users.AddInput{Email: "api@example.com", Role: authz.RoleAuditor}); err != nil {
				t.Fatal(err)
			}
			secret, tok, err := b.env.Service.CreateToken(ctx, "api@example.com", "script", 0)
			if err != nil {
				t.Fatal(err)
			}
			br := b.browser(t)
			for i := range 3 {
				resp, body := br.do("GET", "/whoami", nil, "Authorization", "Bearer "+secret)
				if resp.StatusCode != 200 || !strings.HasSuffix(body, " auditor token") {
					t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
				}
			}
			if _, err := b.env.Service.RevokeToken(ctx, tok.ID); err != nil {
				t.Fatal(err)
			}
			if resp, _ := br.do("GET", "/whoami", nil, "Authorization", "Bearer "+secret); resp.StatusCode != 401 {
				t.Fatalf("revoked token: %d", resp.StatusCode)
			}
			for _, bad := range []string{"Basic " + secret, "Bearer", "Bearer " + secret + " x", "bearer ipt_short"} {
				if resp, _ := br.do("GET", "/whoami", nil, "Authorization", bad); resp.StatusCode != 401 {
					t.Fatalf("Authorization %.12q...: %d", bad, resp.StatusCode)
				}
			}
			var revoked bool
			for _, r := range b.env.Records(t) {
				revoked = revoked || r.Action == audit.ActionTokenRevoked
			}
			if !revoked {
				t.Fatal("revocation not audited")
			}
		})
	}
}

func TestRecoveryCodeAndTOTPReplayThroughPages(t *testing.T) {
	b := setup(t, storetest.SQLite(), auth.Options{})
	_, key, codes := b.enrol(t, "r@example.com", authz.RolePrivacyOfficer)
	br := b.browser(t)
	br.do("POST", auth.PathSignIn, url.Values{"email": {"r@example.com"}, "password": {pw}})
	code := b.env.Code(t, key)
	if resp, _ := br.do("POST", auth.PathCode, url.Values{"code": {code}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("code: %d", resp.StatusCode)
	}
	br2 := b.browser(t)
	br2.do("POST", auth.PathSignIn, url.Values{"email": {"r@example.com"}, "password": {pw}})
	if resp, body := br2.do("POST", auth.PathCode, url.Values{"code": {code}}); resp.StatusCode != 401 || !strings.Contains(body, "not right") {
		t.Fatalf("replayed code: %d", resp.StatusCode)
	}
	if resp, _ := br2.do("POST", auth.PathCode, url.Values{"code": {codes[3]}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("recovery code: %d", resp.StatusCode)
	}
	// A page asked for before signing in is where the sign-in ends, if it
	// is on this site.
	for i, c := range []struct{ next, want string }{{"/requests/req_1?tab=steps", "/requests/req_1?tab=steps"}, {"//evil.example/", "/"}} {
		next, want := c.next, c.want
		br3 := b.browser(t)
		_, body := br3.do("GET", auth.PathSignIn+"?next="+url.QueryEscape(next), nil)
		form := url.Values{"email": {"r@example.com"}, "password": {pw}}
		if strings.Contains(body, `name="next"`) {
			form.Set("next", next)
		}
		resp, _ := br3.do("POST", auth.PathSignIn, form)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		resp, _ = br3.do("POST", auth.PathCode, url.Values{"code": {codes[5+i]}, "next": {loc.Query().Get("next")}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Fatalf("next %q: %d %q, want %q", next, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	// The code form without a pending session sends the browser to sign in.
	if resp, _ := b.browser(t).do("GET", auth.PathCode, nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != auth.PathSignIn {
		t.Fatalf("code form signed out: %d", resp.StatusCode)
	}
}
