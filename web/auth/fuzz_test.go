package auth

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

func FuzzParseFlowState(f *testing.F) {
	good := flowState{State: randomToken(), Nonce: randomToken(), Verifier: randomToken(), Expires: time.Unix(1_800_000_000, 0)}
	f.Add(good.encode())
	good.Next = "/requests/req_1"
	f.Add(good.encode())
	good.Next = "//evil.example"
	f.Add(good.encode())
	f.Add("a.b.c.1")
	f.Add(strings.Repeat("A", 43) + "." + strings.Repeat("A", 43) + "." + strings.Repeat("A", 43) + ".0123")
	f.Add("...")
	f.Fuzz(func(t *testing.T, v string) {
		s, err := parseFlowState(v)
		if err != nil {
			if err != errBadState {
				t.Fatalf("error %v", err)
			}
			return
		}
		if s.encode() != v {
			t.Fatalf("%q re-encodes as %q", v, s.encode())
		}
		if s.Next != "" && SafeNext(s.Next) != s.Next {
			t.Fatalf("state cookie carries an unsafe next %q", s.Next)
		}
	})
}

func TestFlowStateRoundTrip(t *testing.T) {
	s := flowState{State: randomToken(), Nonce: randomToken(), Verifier: randomToken(), Expires: time.Unix(1_800_000_000, 0), Next: "/requests?state=open"}
	got, err := parseFlowState(s.encode())
	if err != nil || got != s {
		t.Fatalf("%+v, %v", got, err)
	}
	s.Next = "https://evil.example/"
	if _, err := parseFlowState(s.encode()); err == nil {
		t.Fatal("a state cookie with an off-site next was accepted")
	}
}

func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer ipt_abc", "bearer  ipt_abc", "Basic x", "Bearer", "Bearer a b", "Bearer\tx", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tok, ok := BearerToken([]string{v})
		if !ok {
			return
		}
		if tok == "" || strings.ContainsAny(tok, " \t") || !strings.HasSuffix(v, tok) || !strings.EqualFold(v[:6], "bearer") {
			t.Fatalf("%q gave token %q", v, tok)
		}
	})
}

func FuzzClientAddr(f *testing.F) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, c := range [][2]string{
		{"10.1.2.3:443", "203.0.113.9, 10.0.0.2"},
		{"10.1.2.3:443", "garbage, 10.0.0.2"},
		{"198.51.100.1:5000", "203.0.113.9"},
		{"[::1]:80", "2001:db8::1"},
		{"[::ffff:10.0.0.1]:80", "::ffff:203.0.113.5"},
		{"not an address", ""},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		got := ClientAddr(remote, []string{xff}, trusted)
		if got == "" {
			return
		}
		a, err := netip.ParseAddr(got)
		if err != nil {
			t.Fatalf("ClientAddr gave %q, not an address", got)
		}
		peer, perr := netip.ParseAddrPort(remote)
		if perr == nil && !trusted[0].Contains(peer.Addr().Unmap()) && !trusted[1].Contains(peer.Addr().Unmap()) && a != peer.Addr().Unmap() {
			t.Fatalf("an untrusted peer %s was replaced by %s from X-Forwarded-For", remote, got)
		}
	})
}

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, c := range []struct{ remote, xff, want string }{
		{"198.51.100.1:5000", "203.0.113.9", "198.51.100.1"},     // not behind a trusted proxy: XFF ignored
		{"10.1.2.3:443", "203.0.113.9, 10.0.0.2", "203.0.113.9"}, // right-most untrusted hop
		{"10.1.2.3:443", "1.2.3.4, 203.0.113.9", "203.0.113.9"},  // a spoofed left part is ignored
		{"10.1.2.3:443", "garbage", "10.1.2.3"},                  // unreadable: stop at the proxy
		{"10.1.2.3:443", "", "10.1.2.3"},
	} {
		if got := ClientAddr(c.remote, []string{c.xff}, trusted); got != c.want {
			t.Errorf("ClientAddr(%s, %q) = %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for raw, want := range map[string]string{
		"/requests/req_1?tab=steps": "/requests/req_1?tab=steps",
		"/":                         "/",
		"//evil.example/x":          "",
		"/\\evil.example":           "",
		"https://evil.example/":     "",
		"javascript:alert(1)":       "",
		"requests":                  "",
		"/a\nLocation: x":           "",
		"":                          "",
	} {
		if got := SafeNext(raw); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", raw, got, want)
		}
	}
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/a", "//b", "/\\c", "http://d", "/%2F%2Fe", "/@f", "/a?b=//c", "\t/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n := SafeNext(raw)
		if n == "" {
			return
		}
		// Whatever is accepted resolves, against any base, to the same host.
		base, _ := url.Parse("https://privacy.example.com/auth/signin")
		u, err := base.Parse(n)
		if err != nil || u.Host != "privacy.example.com" || u.Scheme != "https" {
			t.Fatalf("SafeNext(%q) = %q leaves the site (%v)", raw, n, u)
		}
	})
}
