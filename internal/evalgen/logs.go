package evalgen

import (
	"fmt"
	"strings"
)

// Logs returns n labelled log lines: ids, hashes, UUIDs, trace ids,
// durations and sizes in every line (recorded in Keep), personal data
// planted in about 5 % of lines (in Want).
func Logs(seed uint64, n int) []Sample {
	g := newGen(seed)
	out := make([]Sample, 0, n)
	for len(out) < n {
		out = append(out, g.logLine())
	}
	return out
}

func (g *gen) uuid() string {
	h := g.hex(32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

func (g *gen) stamp() string {
	return fmt.Sprintf("2026-%02d-%02dT%02d:%02d:%02d.%03dZ", 1+g.n(12), 1+g.n(28), g.n(24), g.n(60), g.n(60), g.n(1000))
}

// plant returns a planted value and its kind, for the 5 % of lines that
// carry one.
func (g *gen) plant() (string, string) {
	switch g.n(7) {
	case 0:
		return Email, strings.ToLower(g.pick("jane.doe", "m.rossi", "daan.vries", "p.sharma")) + g.digits(2) + "@example.com"
	case 1:
		f := phoneFormats[g.n(len(phoneFormats))]
		for {
			p := f.make(g)
			if strings.HasPrefix(p, "+") {
				return Phone, p
			}
			f = phoneFormats[g.n(len(phoneFormats))]
		}
	case 2:
		d := g.cardNumber()
		for !knownIIN(d) {
			d = g.cardNumber()
		}
		return Card, g.groupCard(d)
	case 3:
		// Public unicast: not 10/8, 127/8, 169.254/16, 172.16/12, 192.168/16.
		return IP, fmt.Sprintf("%s.%d.%d.%d", g.pick("81", "93", "104", "151", "185", "203"), g.n(256), g.n(256), 1+g.n(254))
	case 4:
		return Secret, g.secret()
	case 5:
		return IBAN, g.pick("DE89370400440532013000", "GB82WEST12345698765432", "NL91ABNA0417164300")
	}
	return Person, g.fullName()
}

func (g *gen) logLine() Sample {
	b := &builder{}
	planted := g.n(20) == 0
	var kind, val string
	if planted {
		kind, val = g.plant()
	}
	// put writes the planted value in a key the format uses for it.
	put := func(sep, quote string) {
		if !planted {
			return
		}
		key := map[string]string{Email: "email", Phone: "phone", Card: "card", IP: "client_ip", Secret: "token", IBAN: "iban", Person: "customer_name"}[kind]
		b.lit(" " + key + sep + quote)
		b.val(kind, val)
		b.lit(quote)
	}
	switch g.n(7) {
	case 0: // nginx access log
		b.lit(fmt.Sprintf("10.%d.%d.%d - - [%02d/Nov/2026:%02d:%02d:%02d +0000] \"%s /api/v2/orders/", g.n(256), g.n(256), g.n(256), 1+g.n(28), g.n(24), g.n(60), g.n(60), g.pick("GET", "POST", "PUT")))
		b.neg(g.digits(9))
		b.lit("?page=")
		b.neg(fmt.Sprint(g.n(50)))
		b.lit(" HTTP/1.1\" " + g.pick("200", "201", "404", "500") + " ")
		b.neg(fmt.Sprint(100 + g.n(90000)))
		b.lit(" \"-\" \"Mozilla/5.0\" rt=")
		b.neg(fmt.Sprintf("%d.%03d", g.n(3), g.n(1000)))
		b.lit(" request_id=")
		b.neg(g.hex(32))
		if planted {
			put("=", "\"")
		}
	case 1: // Apache combined
		b.lit(fmt.Sprintf("192.168.%d.%d - - [%02d/Nov/2026:%02d:%02d:%02d +0100] \"GET /download/", g.n(256), g.n(256), 1+g.n(28), g.n(24), g.n(60), g.n(60)))
		b.neg(g.hex(40))
		b.lit(".tar.gz HTTP/1.1\" 200 ")
		b.neg(fmt.Sprint(100000 + g.n(900000000)))
		b.lit(" ")
		b.neg(fmt.Sprint(1000 + g.n(9000000)))
		if planted {
			put("=", "")
		}
	case 2: // JSON app log
		b.lit(`{"ts":"` + g.stamp() + `","level":"info","msg":"order placed","order_id":`)
		b.neg(g.digits(9))
		b.lit(`,"user_id":"`)
		b.neg(g.uuid())
		b.lit(`","trace_id":"`)
		b.neg(g.hex(32))
		b.lit(`","span_id":"`)
		b.neg(g.hex(16))
		b.lit(`","duration_ms":`)
		b.neg(fmt.Sprint(g.n(100000)))
		b.lit(`,"bytes":`)
		b.neg(g.digits(7 + g.n(3)))
		if planted {
			key := map[string]string{Email: "email", Phone: "phone", Card: "card_number", IP: "client_ip", Secret: "api_key", IBAN: "iban", Person: "name"}[kind]
			b.lit(`,"` + key + `":"`)
			b.val(kind, val)
			b.lit(`"`)
		}
		b.lit("}")
	case 3: // Go slog text
		b.lit("time=" + g.stamp() + " level=INFO msg=\"payment captured\" order_id=")
		b.neg(g.digits(9))
		b.lit(" amount_cents=")
		b.neg(fmt.Sprint(100 + g.n(1000000)))
		b.lit(" trace_id=")
		b.neg(g.hex(16))
		b.lit(" duration=")
		b.neg(fmt.Sprintf("%d.%dms", g.n(900), g.n(1000)))
		b.lit(" pid=")
		b.neg(fmt.Sprint(1000 + g.n(60000)))
		if planted {
			put("=", g.pick("", "\""))
		}
	case 4: // Rails
		b.lit("I, [" + g.stamp() + " #")
		b.neg(fmt.Sprint(1000 + g.n(60000)))
		b.lit("]  INFO -- : [")
		b.neg(g.uuid())
		b.lit("] Completed 200 OK in ")
		b.neg(fmt.Sprint(g.n(5000)))
		b.lit("ms (Views: ")
		b.neg(fmt.Sprintf("%d.%d", g.n(500), g.n(10)))
		b.lit("ms | ActiveRecord: ")
		b.neg(fmt.Sprintf("%d.%d", g.n(500), g.n(10)))
		b.lit("ms | Allocations: ")
		b.neg(fmt.Sprint(g.n(900000)))
		b.lit(") account_id=")
		b.neg(g.digits(10))
		if planted {
			put(": ", "")
		}
	case 5: // Django
		b.lit(fmt.Sprintf("[%02d/Nov/2026 %02d:%02d:%02d] INFO django.server \"GET /api/tickets/", 1+g.n(28), g.n(24), g.n(60), g.n(60)))
		b.neg(g.digits(8))
		b.lit("/ HTTP/1.1\" 200 ")
		b.neg(fmt.Sprint(g.n(99999)))
		b.lit(" ticket_id=")
		b.neg(g.digits(11))
		b.lit(" sha=")
		b.neg(g.hex(40))
		if planted {
			put("=", "")
		}
	default: // Kubernetes event
		b.lit(g.stamp() + " Normal Scheduled pod/api-")
		b.neg(g.hex(10))
		b.lit("-")
		b.neg(g.hex(5))
		b.lit(" Successfully assigned default/api to node-")
		b.neg(fmt.Sprint(g.n(100)))
		b.lit(" uid=")
		b.neg(g.uuid())
		b.lit(" resourceVersion=")
		b.neg(g.digits(8))
		b.lit(" count=")
		b.neg(fmt.Sprint(1 + g.n(20)))
		b.lit(" port=")
		b.neg(fmt.Sprint(1024 + g.n(60000)))
		if planted {
			put("=", "")
		}
	}
	return b.sample()
}
