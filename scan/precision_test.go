package scan

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/pii"
)

// This file generates Intercom conversations with labelled personal data and
// hard negatives, written from the public formats of card numbers (ISO/IEC 7812,
// Luhn), tokens and tracking/order numbers, independently of the detectors'
// code (nothing here calls or copies package pii's checks), and measures the
// scan's precision per redacting type at the level that matters for a
// redaction: a part the scan would redact for type T must hold a value of T.

// convGen makes the conversations.
type convGen struct {
	r *rand.Rand
}

func (g *convGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *convGen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}

func (g *convGen) alnum(n int, set string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = set[g.r.IntN(len(set))]
	}
	return string(b)
}

const (
	base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	upperD = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
)

// luhnDigit is the check digit that makes body+digit pass the Luhn test.
func luhnDigit(body string) byte {
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 { // doubled: every second digit from the check digit's left
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

func luhnOK(s string) bool {
	return luhnDigit(s[:len(s)-1]) == s[len(s)-1]
}

// card is a Luhn-valid number of a real issuer range, grouped as printed.
func (g *convGen) card() string {
	var prefix string
	n := 16
	switch g.r.IntN(5) {
	case 0:
		prefix = "4" // Visa
	case 1:
		prefix = strconv.Itoa(51 + g.r.IntN(5)) // Mastercard 51-55
	case 2:
		prefix, n = g.pick("34", "37"), 15 // Amex
	case 3:
		prefix = "6011" // Discover
	default:
		prefix = strconv.Itoa(2221 + g.r.IntN(500)) // Mastercard 2-series
	}
	body := prefix + g.digits(n-1-len(prefix))
	num := body + string(luhnDigit(body))
	switch g.r.IntN(3) {
	case 0:
		return num
	case 1:
		if n == 15 {
			return num[:4] + " " + num[4:10] + " " + num[10:]
		}
		return num[:4] + " " + num[4:8] + " " + num[8:12] + " " + num[12:]
	default:
		if n == 15 {
			return num[:4] + "-" + num[4:10] + "-" + num[10:]
		}
		return num[:4] + "-" + num[4:8] + "-" + num[8:12] + "-" + num[12:]
	}
}

// notLuhn is 16 digits starting like a Visa that fail the Luhn test.
func (g *convGen) notLuhn() string {
	for {
		s := "4" + g.digits(15)
		if !luhnOK(s) {
			return s
		}
	}
}

func (g *convGen) password() string {
	return g.pick("Summer", "Tr0ub4dor", "P@ss", "Bl4ckC4t", "Winter", "Qwerty") + g.alnum(2+g.r.IntN(4), "0123456789") + g.pick("!", "#", "$", "", "?")
}

func b62crc(body string) string {
	c := crc32.ChecksumIEEE([]byte(body))
	out := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		out[i] = base62[c%62]
		c /= 62
	}
	return string(out)
}

func (g *convGen) secret() string {
	switch g.r.IntN(6) {
	case 0: // GitHub personal access token: prefix, 30 base62, base62 CRC32
		body := g.alnum(30, base62)
		return "ghp_" + body + b62crc(body)
	case 1:
		return "AKIA" + g.alnum(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
	case 2:
		return "sk_live_" + g.alnum(24+g.r.IntN(8), base62)
	case 3:
		return "xoxb-" + g.digits(12) + "-" + g.digits(13) + "-" + g.alnum(24, base62)
	case 4:
		h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
		p := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"` + g.digits(8) + `","iat":` + g.digits(10) + `}`))
		return h + "." + p + "." + g.alnum(43, base62+"-_")
	default:
		return "-----BEGIN RSA PRIVATE KEY-----<br>" + g.alnum(64, base62+"+/") + "<br>" + g.alnum(64, base62+"+/") + "<br>-----END RSA PRIVATE KEY-----"
	}
}

func (g *convGen) phone() string {
	switch g.r.IntN(5) {
	case 0:
		return "(" + g.pick("212", "415", "646", "312") + ") " + strconv.Itoa(200+g.r.IntN(700)) + "-" + g.digits(4)
	case 1:
		return "+44 20 7946 " + g.digits(4)
	case 2:
		return "+49 30 " + g.digits(7)
	case 3:
		return "+1 " + g.pick("617", "303", "206") + " " + strconv.Itoa(200+g.r.IntN(700)) + " " + g.digits(4)
	default:
		return "07700 " + g.digits(6)
	}
}

func (g *convGen) orderNumber() string {
	switch g.r.IntN(6) {
	case 0: // Amazon style 3-7-7
		return g.digits(3) + "-" + g.digits(7) + "-" + g.digits(7)
	case 1: // eBay style 2-5-5
		return g.digits(2) + "-" + g.digits(5) + "-" + g.digits(5)
	case 2:
		return "#" + strconv.Itoa(1000+g.r.IntN(90000))
	case 3:
		return "ORD-" + g.digits(8)
	case 4:
		return "W" + g.digits(9)
	default:
		return g.digits(10)
	}
}

func (g *convGen) tracking() string {
	switch g.r.IntN(5) {
	case 0: // UPS
		return "1Z" + g.alnum(6, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") + g.digits(10)
	case 1: // FedEx 12 digits
		return g.digits(12)
	case 2: // FedEx 15 digits
		return g.digits(15)
	case 3: // USPS 22 digits, grouped by four
		d := "9400" + g.digits(18)
		return d[:4] + " " + d[4:8] + " " + d[8:12] + " " + d[12:16] + " " + d[16:20] + " " + d[20:]
	default: // DHL
		return "JD" + g.digits(18)
	}
}

func (g *convGen) invoice() string {
	return g.pick("INV-2026-"+g.digits(6), "Invoice #"+g.digits(9), "invoice "+g.digits(4)+"/"+g.digits(4), "INV"+g.digits(12))
}

// message is one part: its HTML and the redacting types it holds.
type message struct {
	html  string
	types map[string]bool
}

func (g *convGen) customerMessage() message {
	m := message{types: map[string]bool{}}
	p := func(s string) string { return "<p>" + s + "</p>" }
	switch g.r.IntN(24) {
	case 0:
		m.html, m.types["CARD"] = p("Please charge my card "+g.card()+" again, the last payment failed."), true
	case 1:
		m.html, m.types["CARD"] = p("Card number: "+g.card()+"<br>Expiry 0"+strconv.Itoa(1+g.r.IntN(9))+"/2"+strconv.Itoa(6+g.r.IntN(4))), true
	case 2:
		m.html, m.types["CARD"] = p("Here is the new Visa: <b>"+g.card()+"</b>"), true
	case 3:
		m.html, m.types["PASSWORD"] = p("my password is "+g.password()+" if you need to log in"), true
	case 4:
		m.html, m.types["PASSWORD"] = p("Username: jamie<br>Password: "+g.password()), true
	case 5:
		m.html, m.types["SECRET"] = p("Our integration uses this key: <code>"+g.secret()+"</code>"), true
	case 6:
		m.html, m.types["SECRET"] = p("The webhook fails with token "+g.secret()), true
	// Hard negatives from here on.
	case 7:
		m.html = p("My order number is " + g.orderNumber() + " and it still hasn't shipped.")
	case 8:
		m.html = p("Tracking number " + g.tracking() + " shows no movement since Monday.")
	case 9:
		m.html = p("Can you resend " + g.invoice() + "? The card payment for it went through.")
	case 10:
		m.html = p("I lost my card, please call me on " + g.phone() + ".")
	case 11:
		m.html = p("My card was declined twice. My number is " + g.phone() + ", the order is " + g.orderNumber() + ".")
	case 12:
		m.html = p("The card ending in " + g.digits(4) + " expires 0" + strconv.Itoa(1+g.r.IntN(9)) + "/27, can I update it?")
	case 13:
		m.html = p("Card number " + g.notLuhn() + " was rejected by your form.") // fails the check: a typo, not a card
	case 14:
		m.html = p("I forgot my password and the reset link never arrived.")
	case 15:
		m.html = p("Password: ******** (hidden by my password manager)")
	case 16:
		m.html = p("Reference " + g.alnum(8, "0123456789abcdef") + "-" + g.alnum(4, "0123456789abcdef") + "-4" + g.alnum(3, "0123456789abcdef") + "-a" + g.alnum(3, "0123456789abcdef") + "-" + g.alnum(12, "0123456789abcdef") + " in the error page.")
	case 17:
		m.html = p("Payment of $" + strconv.Itoa(10+g.r.IntN(5000)) + "." + g.digits(2) + " on 2026-0" + strconv.Itoa(1+g.r.IntN(9)) + "-1" + g.digits(1) + " for " + g.invoice() + ".")
	case 18:
		m.html = p("Your courier's tracking page for " + g.tracking() + " asks for my card details, is that legit?")
	case 19:
		m.html = p("Gift card code " + g.alnum(4, upperD) + "-" + g.alnum(4, upperD) + "-" + g.alnum(4, upperD) + " doesn't work.")
	case 20:
		m.html = p("Commit " + g.alnum(40, "0123456789abcdef") + " broke the export.")
	case 21:
		m.html = p("Billing phone on the card account: " + g.phone() + ", account " + g.digits(8) + ".")
	default:
		m.html = p(g.pick("Thanks, that works for me.", "Any update on this?", "Great, see you then!", "Could you check again please?"))
	}
	return m
}

func (g *convGen) teammateMessage() message {
	return message{types: map[string]bool{}, html: "<p>" + g.pick(
		"Could you confirm the last four digits of the card on file?",
		"Thanks! I've updated your order "+g.orderNumber()+".",
		"Please never send your password here; use the reset link instead.",
		"Your tracking number is "+g.tracking()+".",
		"I've refunded "+g.invoice()+" to the original card.",
		"You can reach billing on "+g.phone()+".",
	) + "</p>"}
}

// conversation returns an Intercom conversation JSON as the API sends it and the
// labels of its parts.
func (g *convGen) conversation(id int) ([]byte, map[string]map[string]bool) {
	labels := map[string]map[string]bool{}
	src := g.customerMessage()
	labels[fmt.Sprintf("s%d", id)] = src.types
	var parts []map[string]any
	n := 1 + g.r.IntN(7)
	for i := range n {
		var m message
		author := map[string]any{"type": "user", "id": "u" + strconv.Itoa(id)}
		if i%2 == 0 {
			m = g.teammateMessage()
			author = map[string]any{"type": "admin", "id": "991"}
		} else {
			m = g.customerMessage()
		}
		pid := fmt.Sprintf("p%d_%d", id, i)
		labels[pid] = m.types
		parts = append(parts, map[string]any{"type": "conversation_part", "id": pid, "part_type": "comment", "body": m.html,
			"created_at": 1767225600 + id*60 + i, "updated_at": 1767225600 + id*60 + i, "author": author, "attachments": []any{}, "redacted": false})
	}
	c := map[string]any{"type": "conversation", "id": strconv.Itoa(id), "created_at": 1767225600 + id*60, "updated_at": 1767225600 + id*60 + n,
		"source": map[string]any{"type": "conversation", "id": fmt.Sprintf("s%d", id), "delivered_as": "customer_initiated", "subject": "",
			"body": src.html, "author": map[string]any{"type": "user", "id": "u" + strconv.Itoa(id)}, "attachments": []any{}, "redacted": false},
		"conversation_parts": map[string]any{"type": "conversation_part.list", "conversation_parts": parts, "total_count": len(parts)}}
	b, _ := json.Marshal(c)
	return b, labels
}

func TestLuhnGenerator(t *testing.T) {
	for _, s := range []string{"4111111111111111", "5500005555555559", "378282246310005", "6011111111111117"} {
		if !luhnOK(s) {
			t.Errorf("%s: the generator's Luhn check rejects a known test number", s)
		}
	}
}

// TestRedactionPrecision measures, on generated conversations, the precision of
// the parts the scan would redact for card numbers, passwords and secrets, and
// fails below 0.99 for cards and secrets.
func TestRedactionPrecision(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 3000
	}
	engine, err := pii.NewEngine(pii.Options{Types: ContentTypes()})
	if err != nil {
		t.Fatal(err)
	}
	g := &convGen{r: rand.New(rand.NewPCG(15, 2026))}
	type prf struct{ tp, fp, fn int }
	res := map[string]*prf{"CARD": {}, "PASSWORD": {}, "SECRET": {}}
	var fps []string
	parts := 0
	for i := range n {
		raw, labels := g.conversation(i + 1)
		var c intercom.Conversation
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		_, fs := scanConversation(engine, &c, "r")
		flagged := map[string]map[string]bool{}
		for _, f := range fs {
			if res[f.Type] == nil {
				continue
			}
			if flagged[f.PartID] == nil {
				flagged[f.PartID] = map[string]bool{}
			}
			flagged[f.PartID][f.Type] = true
		}
		for pid, want := range labels {
			parts++
			for typ, r := range res {
				switch got := flagged[pid][typ]; {
				case got && want[typ]:
					r.tp++
				case got:
					r.fp++
					if len(fps) < 20 {
						fps = append(fps, typ+" in part "+pid)
					}
				case want[typ]:
					r.fn++
				}
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d conversations, %d parts\n%-9s %6s %4s %4s %9s %7s\n", n, parts, "type", "TP", "FP", "FN", "precision", "recall")
	types := []string{"CARD", "PASSWORD", "SECRET"}
	sort.Strings(types)
	for _, typ := range types {
		r := res[typ]
		fmt.Fprintf(&b, "%-9s %6d %4d %4d %9.4f %7.4f\n", typ, r.tp, r.fp, r.fn, float64(r.tp)/float64(max(1, r.tp+r.fp)), float64(r.tp)/float64(max(1, r.tp+r.fn)))
	}
	t.Log("\n" + b.String())
	for _, typ := range []string{"CARD", "SECRET", "PASSWORD"} {
		r := res[typ]
		if r.tp == 0 {
			t.Errorf("%s: nothing found; the measure is empty", typ)
			continue
		}
		if p := float64(r.tp) / float64(r.tp+r.fp); p < 0.99 {
			t.Errorf("%s: precision %.4f below 0.99 (false positives: %v)", typ, p, fps)
		}
	}
}
