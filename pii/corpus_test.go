package pii

import (
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// This file generates the labelled accuracy corpus: deterministic (seeded)
// support-conversation and application-log lines in six languages, every
// PII value with its exact byte span, and hard negatives (order ids,
// timestamps, versions, UUIDs, trace ids, hashes, 19-digit runs,
// almost-valid IBANs, prices) that must not be found.

type label struct {
	Type       Type
	Start, End int
}

type sample struct {
	Text   string
	Labels []label
	Known  []KnownValue
}

// builder appends literal text and labelled values.
type builder struct {
	sb     strings.Builder
	labels []label
}

func (b *builder) lit(s string) { b.sb.WriteString(s) }
func (b *builder) val(t Type, v string) {
	st := b.sb.Len()
	b.sb.WriteString(v)
	b.labels = append(b.labels, label{t, st, b.sb.Len()})
}

type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g *gen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}
func (g *gen) letters(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('A' + g.r.IntN(26))
	}
	return string(b)
}

var firstNames = []string{"jane", "john", "marie", "pierre", "hans", "lucia", "marco", "sofia", "pieter", "anna", "olivia", "noah", "ç", "zoë"}
var lastNames = []string{"doe", "smith", "dupont", "müller", "garcia", "rossi", "jansen", "bianchi", "martin", "schmidt"}

func (g *gen) email() string {
	f := g.pick(firstNames[:12]...)
	l := g.pick("doe", "smith", "dupont", "garcia", "rossi", "jansen", "bianchi", "martin", "schmidt")
	local := g.pick(f+"."+l, f+l, f+"_"+l+g.digits(2), f+"+support", f[:1]+l, f+"-"+l)
	dom := g.pick("example.com", "mail.example.org", "corp.co.uk", "firma.de", "societe.fr", "empresa.es", "azienda.it", "bedrijf.nl", "gmail.com", "outlook.com", "sub.domain.io")
	if g.r.IntN(8) == 0 {
		local = strings.ToUpper(local[:1]) + local[1:]
	}
	return local + "@" + dom
}

func (g *gen) card() string {
	var pfx string
	n := 16
	switch g.r.IntN(7) {
	case 0:
		pfx = "4" + g.digits(5)
	case 1:
		pfx = fmt.Sprint(51+g.r.IntN(5)) + g.digits(4)
	case 2:
		pfx = fmt.Sprint(2221+g.r.IntN(500)) + g.digits(2)
	case 3:
		pfx = g.pick("34", "37") + g.digits(4)
		n = 15
	case 4:
		pfx = "6011" + g.digits(2)
	case 5:
		pfx = fmt.Sprint(3528+g.r.IntN(60)) + g.digits(2)
	default:
		pfx = "4" + g.digits(5)
		n = 13
	}
	body := pfx + g.digits(n-len(pfx)-1)
	for c := byte('0'); c <= '9'; c++ {
		if luhn([]byte(body + string(c))) {
			body += string(c)
			break
		}
	}
	switch {
	case n == 15 && g.r.IntN(2) == 0:
		return body[:4] + " " + body[4:10] + " " + body[10:]
	case n == 16 && g.r.IntN(3) == 0:
		return body[:4] + " " + body[4:8] + " " + body[8:12] + " " + body[12:]
	case n == 16 && g.r.IntN(3) == 0:
		return body[:4] + "-" + body[4:8] + "-" + body[8:12] + "-" + body[12:]
	}
	return body
}

func (g *gen) iban() string {
	type c struct{ cc, pat string }
	cs := []c{{"DE", "dddddddddddddddddd"}, {"GB", "LLLLdddddddddddddd"}, {"FR", "ddddddddddddddddddddddd"}, {"ES", "dddddddddddddddddddd"},
		{"IT", "Ldddddddddddddddddddddd"}, {"NL", "LLLLdddddddddd"}, {"IE", "LLLLdddddddddddddd"}, {"BE", "dddddddddddd"}, {"AT", "dddddddddddddddd"}}
	x := cs[g.r.IntN(len(cs))]
	var bb strings.Builder
	for _, p := range x.pat {
		if p == 'd' {
			bb.WriteString(g.digits(1))
		} else {
			bb.WriteString(g.letters(1))
		}
	}
	// FR: the BBAN ends with a two-digit key; any digits pass mod-97 once the IBAN check is set.
	bban := bb.String()
	chk := 98 - mod97String(bban+x.cc+"00")
	s := fmt.Sprintf("%s%02d%s", x.cc, chk, bban)
	if int(ibanLengths[uint16(s[0])<<8|uint16(s[1])]) != len(s) {
		panic("corpus: bad IBAN length for " + x.cc)
	}
	if g.r.IntN(2) == 0 {
		var gr strings.Builder
		for i := 0; i < len(s); i += 4 {
			if i > 0 {
				gr.WriteByte(' ')
			}
			gr.WriteString(s[i:min(len(s), i+4)])
		}
		return gr.String()
	}
	return s
}

func mod97String(s string) int {
	r := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A') + 10) % 97
		}
	}
	return r
}

func (g *gen) ssn() string {
	for {
		d := fmt.Sprintf("%03d%02d%04d", 1+g.r.IntN(899), 1+g.r.IntN(99), 1+g.r.IntN(9999))
		if !ssnValid([]byte(d)) {
			continue
		}
		if g.r.IntN(4) == 0 {
			return d[:3] + " " + d[3:5] + " " + d[5:]
		}
		return d[:3] + "-" + d[3:5] + "-" + d[5:]
	}
}

func (g *gen) ipv4() string {
	for {
		s := fmt.Sprintf("%d.%d.%d.%d", 1+g.r.IntN(222), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
		if publicAddr(netip.MustParseAddr(s)) {
			return s
		}
	}
}

func (g *gen) ipv6() string {
	return fmt.Sprintf("2a0%d:%x:%x::%x", 1+g.r.IntN(8), 0x1000+g.r.IntN(0xe000), g.r.IntN(0xffff), 1+g.r.IntN(0xfffe))
}

func (g *gen) nino() string {
	for {
		p := g.letters(2)
		if !ninoPrefix(p[0], p[1]) {
			continue
		}
		d := g.digits(6)
		suf := string(rune('A' + g.r.IntN(4)))
		if g.r.IntN(3) == 0 {
			return p + " " + d[:2] + " " + d[2:4] + " " + d[4:] + " " + suf
		}
		return p + d + suf
	}
}

func (g *gen) deTax() string {
	for {
		d := []byte(fmt.Sprint(1+g.r.IntN(9)) + g.digits(9))
		if !deTaxRepeats(d) {
			continue
		}
		d = append(d, byte('0'+iso7064Mod1110(d)))
		if deTaxID(d) {
			return string(d)
		}
	}
}

func (g *gen) nir() string {
	sex := g.pick("1", "2")
	yy := fmt.Sprintf("%02d", g.r.IntN(100))
	mm := fmt.Sprintf("%02d", 1+g.r.IntN(12))
	dept := fmt.Sprintf("%02d", 1+g.r.IntN(95))
	if g.r.IntN(6) == 0 {
		dept = g.pick("2A", "2B")
	}
	com := fmt.Sprintf("%03d", 1+g.r.IntN(990))
	ord := fmt.Sprintf("%03d", 1+g.r.IntN(999))
	body := sex + yy + mm + dept + com + ord
	var n uint64
	if dept[1] == 'A' || dept[1] == 'B' {
		n = corsica([]byte(body + "00"))
	} else {
		fmt.Sscan(body, &n)
	}
	key := fmt.Sprintf("%02d", 97-n%97)
	if dept[1] == 'A' || dept[1] == 'B' {
		return body + key // compact form
	}
	if g.r.IntN(2) == 0 {
		return sex + " " + yy + " " + mm + " " + dept + " " + com + " " + ord + " " + key
	}
	return body + key
}

func (g *gen) dni() string {
	if g.r.IntN(3) == 0 {
		x := g.r.IntN(3)
		d := g.digits(7)
		n, _ := strconv.Atoi(fmt.Sprint(x) + d)
		return string("XYZ"[x]) + d + string(dniLetters[n%23])
	}
	d := fmt.Sprint(10000000 + g.r.IntN(89999999))
	var n int
	fmt.Sscan(d, &n)
	return d + string(dniLetters[n%23])
}

func (g *gen) cf() string {
	months := "ABCDEHLMPRST"
	s := g.letters(6) + g.digits(2) + string(months[g.r.IntN(12)]) + fmt.Sprintf("%02d", 1+g.r.IntN(71)) + g.letters(1) + g.digits(3)
	for c := byte('A'); c <= 'Z'; c++ {
		if itFiscalCode([]byte(s + string(c))) {
			return s + string(c)
		}
	}
	panic("corpus: no CF check char")
}

func (g *gen) bsn() string {
	for {
		d := fmt.Sprint(100000000 + g.r.IntN(899999999))
		if nlBSN([]byte(d)) {
			return d
		}
	}
}

var phoneTemplates = map[string][]string{
	"US": {"(2dd) 5dd-dddd", "2dd-5dd-dddd", "2dd.5dd.dddd", "+1 2dd 5dd dddd", "+1-2dd-5dd-dddd"},
	"CA": {"(416) 5dd-dddd", "604-5dd-dddd", "+1 514 5dd dddd"},
	"GB": {"020 79dd dddd", "+44 20 79dd dddd", "07700 900ddd", "+44 7700 900ddd", "0161 496 0ddd"},
	"DE": {"030 1234dddd", "+49 30 1234dddd", "0151 2345dddd", "+49 151 2345dddd", "089 123dddd"},
	"FR": {"01 23 45 dd dd", "06 12 34 dd dd", "+33 6 12 34 dd dd", "+33 1 23 45 dd dd"},
	"ES": {"612 345 ddd", "+34 612 34 dd dd", "91 123 dd dd", "+34 91 123 dd dd"},
	"IT": {"06 1234 dddd", "+39 06 1234 dddd", "345 123 dddd", "+39 345 123 dddd"},
	"NL": {"020 123 dddd", "06 1234dddd", "+31 6 1234dddd", "+31 20 123 dddd"},
	"IE": {"01 234 dddd", "087 123 dddd", "+353 87 123 dddd"},
	"AU": {"(02) 9123 dddd", "0412 345 ddd", "+61 412 345 ddd", "+61 2 9123 dddd"},
	"BR": {"(11) 91234-dddd", "+55 11 91234-dddd", "(21) 2123-dddd"},
	"IN": {"+91 98765 4dddd", "+91 22 2345 dddd", "098765 4dddd"},
}

var phoneRegions = []string{"US", "CA", "GB", "DE", "FR", "ES", "IT", "NL", "IE", "AU", "BR", "IN"}

func (g *gen) phone() string {
	for {
		reg := phoneRegions[g.r.IntN(len(phoneRegions))]
		tp := phoneTemplates[reg][g.r.IntN(len(phoneTemplates[reg]))]
		var b strings.Builder
		for _, c := range tp {
			if c == 'd' {
				b.WriteString(g.digits(1))
			} else {
				b.WriteRune(c)
			}
		}
		s := b.String()
		num, err := phonenumbers.Parse(s, reg)
		if err == nil && phonenumbers.IsValidNumber(num) {
			return s
		}
	}
}

// githubToken returns prefix + 30 random base62 characters + their CRC32
// in 6 base62 characters: the GitHub and npm token format.
func (g *gen) githubToken(prefix string) string {
	b := make([]byte, 30)
	for i := range b {
		b[i] = base62[g.r.IntN(62)]
	}
	return prefix + string(b) + crcSuffix(string(b))
}

func (g *gen) secret() string {
	switch g.r.IntN(7) {
	case 0:
		return g.githubToken(g.pick("ghp_", "gho_", "ghs_"))
	case 1:
		return g.githubToken("npm_")
	case 2:
		return "AKIA" + g.letters(12) + g.digits(4)
	case 3:
		return "xoxb-" + g.digits(12) + "-" + g.digits(13) + "-" + strings.ToLower(g.letters(24))
	case 4:
		return "sk_live_" + g.letters(10) + g.digits(6) + strings.ToLower(g.letters(8))
	case 5:
		return "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI" + g.letters(8) + g.digits(4) + "In0." + g.letters(20) + "_" + g.digits(10)
	}
	return "AIza" + g.letters(22) + g.digits(10) + "-_a"
}

func (g *gen) password() string {
	return g.pick("hunter2!", "Sup3rS3cret", "correct-horse-7", "Tr0ub4dor&3", "p@ssw0rd99", "Winter2024!", "qwerty123", "Zx9$kLm2")
}

func crcSuffix(body string) string {
	v := crc32.ChecksumIEEE([]byte(body))
	var enc [6]byte
	for i := 5; i >= 0; i-- {
		enc[i] = base62[v%62]
		v /= 62
	}
	return string(enc[:])
}

// slot is one labelled value kind used by the templates.
type slot struct {
	t   Type
	gen func(g *gen) string
}

var slots = map[string]slot{
	"EMAIL":  {TypeEmail, (*gen).email},
	"PHONE":  {TypePhone, (*gen).phone},
	"CARD":   {TypeCard, (*gen).card},
	"IBAN":   {TypeIBAN, (*gen).iban},
	"SSN":    {TypeSSN, (*gen).ssn},
	"IP":     {TypeIPv4, (*gen).ipv4},
	"IP6":    {TypeIPv6, (*gen).ipv6},
	"NINO":   {TypeUKNINO, (*gen).nino},
	"STID":   {TypeDETaxID, (*gen).deTax},
	"NIR":    {TypeFRNIR, (*gen).nir},
	"DNI":    {TypeESDNI, (*gen).dni},
	"CF":     {TypeITFiscalCode, (*gen).cf},
	"BSN":    {TypeNLBSN, (*gen).bsn},
	"SECRET": {TypeSecret, (*gen).secret},
	"PW":     {TypePassword, (*gen).password},
	"DOB": {TypeDateOfBirth, func(g *gen) string {
		d, m, y := 1+g.r.IntN(28), 1+g.r.IntN(12), 1940+g.r.IntN(65)
		switch g.r.IntN(3) {
		case 0:
			return fmt.Sprintf("%02d/%02d/%d", d, m, y)
		case 1:
			return fmt.Sprintf("%d-%02d-%02d", y, m, d)
		}
		return fmt.Sprintf("%02d.%02d.%d", d, m, y)
	}},
	"URLTOK": {TypeURLSecret, func(g *gen) string { return strings.ToLower(g.letters(12)) + g.digits(8) }},
}

// Templates: «SLOT» is a labelled value; everything else is literal.
var conversationTemplates = []string{
	// English
	"Hi, my email is «EMAIL» and you can call me on «PHONE».",
	"Please charge my card «CARD», expiry 04/27. Thanks!",
	"My SSN is «SSN» as requested by the benefits team.",
	"Could you update my bank details? IBAN: «IBAN»",
	"Hey team, I logged in from «IP» and got locked out.",
	"My date of birth is «DOB» if you need to verify.",
	"My password is «PW» but it stopped working after the password reset.",
	"I pasted this by mistake, please delete it: «SECRET»",
	"Reach me at «PHONE» or «EMAIL». Order #100234 shipped on 2024-03-15.",
	"National insurance number «NINO», payroll ref 2024-118.",
	"Here is the reset link https://app.example.com/reset?token=«URLTOK»&lang=en",
	// German
	"Hallo, meine E-Mail ist «EMAIL», Telefon «PHONE».",
	"Meine Steuer-ID ist «STID», Rechnung Nr. 2024-00017.",
	"Bitte überweisen Sie auf «IBAN», Betrag 49,99 EUR.",
	"Geburtsdatum: «DOB». Passwort: «PW»",
	// French
	"Bonjour, mon adresse est «EMAIL» et mon numéro «PHONE».",
	"Mon numéro de sécurité sociale est «NIR», merci.",
	"Né le «DOB», mot de passe «PW» pour le compte.",
	// Spanish
	"Hola, mi DNI es «DNI» y mi teléfono «PHONE».",
	"Mi correo es «EMAIL»; tarjeta «CARD». Fecha de nacimiento «DOB».",
	// Italian
	"Buongiorno, il mio codice fiscale è «CF», telefono «PHONE».",
	"La mia email è «EMAIL», IBAN «IBAN». Data di nascita «DOB».",
	// Dutch
	"Hallo, mijn BSN is «BSN» en mijn e-mail «EMAIL».",
	"Mijn telefoonnummer is «PHONE», geboortedatum «DOB».",
}

var logTemplates = []string{
	"2024-05-01T12:00:«SS»Z INFO auth login ok user_id=48213 ip=«IP» email=«EMAIL»",
	"2024-05-01T12:00:«SS»Z WARN payment declined card=«CARD» order=ORD-2024-000«N3» amount=129.99",
	"2024-05-01 12:00:«SS»,123 ERROR webhook failed url=https://hooks.example.com/cb?access_token=«URLTOK»&id=77 status=500",
	"level=info msg=\"request\" remote_addr=«IP6» trace_id=4bf92f3577b34da6a3ce929d0e0e4736 latency=12ms",
	"{\"ts\":\"2024-05-01T12:00:«SS»Z\",\"level\":\"debug\",\"msg\":\"profile updated\",\"phone\":\"«PHONE»\",\"version\":\"1.2.3\"}",
	"2024-05-01T12:00:«SS»Z DEBUG config loaded token=«SECRET» build=4.18.2",
}

// negSlots generate random hard negatives: near misses that must not be
// found (their text is not labelled).
var negSlots = map[string]func(g *gen) string{
	"N16":  func(g *gen) string { return g.digits(16) },                             // Luhn fails 90%; IIN often fails
	"N19":  func(g *gen) string { return "1" + g.digits(18) },                       // 19-digit ids
	"N19X": func(g *gen) string { return g.digits(19) },                             // 19-digit runs of any prefix
	"N10":  func(g *gen) string { return fmt.Sprint(1+g.r.IntN(9)) + g.digits(9) },  // 10-digit ticket numbers
	"N11":  func(g *gen) string { return fmt.Sprint(1+g.r.IntN(9)) + g.digits(10) }, // 11-digit ids
	"N9":   func(g *gen) string { return fmt.Sprint(1+g.r.IntN(9)) + g.digits(8) },  // 9-digit ids
	"UUID": func(g *gen) string {
		return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", g.r.Uint32(), g.r.IntN(1<<16), g.r.IntN(1<<12), g.r.IntN(1<<12), g.r.Uint64()&(1<<48-1))
	},
	"HEX40": func(g *gen) string { return fmt.Sprintf("%016x%016x%08x", g.r.Uint64(), g.r.Uint64(), g.r.Uint32()) },
	"CODE16": func(g *gen) string {
		return g.letters(6) + g.digits(2) + g.letters(1) + g.digits(2) + g.letters(1) + g.digits(3) + g.letters(1)
	}, // CF shape, check char random
	"NIEX": func(g *gen) string { return g.pick("X", "Y", "Z") + g.digits(7) + g.letters(1) },
	"IBANX": func(g *gen) string {
		s := strings.ReplaceAll(g.iban(), " ", "")
		b := []byte(s)
		i := 4 + g.r.IntN(len(b)-4)
		if isDigit(b[i]) {
			b[i] = '0' + (b[i]-'0'+1)%10
		} else {
			b[i] = 'A' + (b[i]-'A'+1)%26
		}
		return string(b)
	},
	"PRICE": func(g *gen) string {
		return fmt.Sprintf("$%d,%03d.%02d", 1+g.r.IntN(99), g.r.IntN(1000), g.r.IntN(100))
	},
	"TS": func(g *gen) string {
		return fmt.Sprintf("2024-%02d-%02dT%02d:%02d:%02d.%03dZ", 1+g.r.IntN(12), 1+g.r.IntN(28), g.r.IntN(24), g.r.IntN(60), g.r.IntN(60), g.r.IntN(1000))
	},
	"VER": func(g *gen) string {
		return fmt.Sprintf("%d.%d.%d.%d", g.r.IntN(20), g.r.IntN(50), g.r.IntN(5000), g.r.IntN(300))
	},
}

var negativeTemplates = []string{
	"ticket «N10» escalated, please contact the customer about order «N11»",
	"card number field invalid: «N16» (failed validation)",
	"batch «N19X» and «N19» processed, tax reference «N9»",
	"request «UUID» commit «HEX40» took 35 ms",
	"voucher code «CODE16» and reference «NIEX» expired",
	"bank ref «IBANX» rejected by the clearing house, total «PRICE»",
	"at «TS» client version «VER» connected",
	"2024-05-01T12:00:«SS».123Z INFO GET /api/v2/orders/100234 200 12ms request_id=9f1c2e7a-5b3d-4c1e-8f2a-6d7e8f9a0b1c",
	"order ORD-2024-00012345 created at 2024-03-15 10:22:33, total $1,299.99 (tax 45,00 EUR)",
	"app version 1.2.3.4 released; chrome 120.0.6099.109; build 2024.05.01",
	"commit 3f786850e387550fdab836ed7e6dc881de23001b sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7 duration 1234567 ns",
	"batch id 1234567890123456789 processed 4096 rows in 3.14 s",
	"reference DE89 3704 0044 0532 0130 01 was rejected (checksum)",
	"git clone git@github.com:acme/widgets.git && npm i left-pad@1.3.0",
	"Message-ID: <CAF12345.67890@mail.gmail.com> received",
	"password reset requested; forgot my password link sent",
	"listening on 10.0.0.12:8080 and 127.0.0.1:9090, peer 192.168.1.20",
	"invoice 2024-118-7 due 15/04/2024, ticket #48213, uuid 123e4567-e89b-12d3-a456-426614174000",
	"timestamp 1714564800123 epoch 1714564800 port 5432 pid 31337",
	"card ending 4242, last4=1111, bin 411111",
	"SSN field left blank: 000-12-3456 and 666-12-3456 are invalid",
	"MAC 00:1a:2b:3c:4d:5e, OID 1.3.6.1.4.1.311, semver v2.10.3",
}

// buildCorpus returns n samples generated from seed.
func buildCorpus(seed uint64, n int) []sample {
	g := newGen(seed)
	out := make([]sample, 0, n)
	for i := 0; i < n; i++ {
		var tpl string
		switch k := g.r.IntN(10); {
		case k < 5:
			tpl = conversationTemplates[g.r.IntN(len(conversationTemplates))]
		case k < 8:
			tpl = logTemplates[g.r.IntN(len(logTemplates))]
		default:
			tpl = negativeTemplates[g.r.IntN(len(negativeTemplates))]
		}
		var b builder
		for tpl != "" {
			o := strings.Index(tpl, "«")
			if o < 0 {
				b.lit(tpl)
				break
			}
			c := strings.Index(tpl[o:], "»")
			b.lit(tpl[:o])
			name := tpl[o+len("«") : o+c]
			tpl = tpl[o+c+len("»"):]
			switch name {
			case "SS":
				b.lit(fmt.Sprintf("%02d", g.r.IntN(60)))
			case "N3":
				b.lit(g.digits(3))
			default:
				if ng, ok := negSlots[name]; ok {
					b.lit(ng(g))
					continue
				}
				sl, ok := slots[name]
				if !ok {
					panic("corpus: unknown slot " + name)
				}
				b.val(sl.t, sl.gen(g))
			}
		}
		out = append(out, sample{Text: b.sb.String(), Labels: b.labels})
	}
	out = append(out, knownSamples(g, n/10)...)
	return out
}

// knownSamples have the person's own values supplied as Known values.
func knownSamples(g *gen, n int) []sample {
	var out []sample
	for i := 0; i < n; i++ {
		first := g.pick("Jane", "Pierre", "Zoë", "Hans", "Lucía", "Marco", "Pieter", "Siobhan")
		last := g.pick("Doe", "Dupont", "Müller", "García", "Rossi", "de Vries", "O'Brien")
		name := first + " " + last
		email := g.email()
		phone := g.phone()
		addr := g.pick("221B Baker Street", "12 rue de la Paix", "Hauptstraße 5", "Calle Mayor 3", "Keizersgracht 123")
		ext := "cus_" + strings.ToLower(g.letters(6)) + g.digits(4)
		kv := []KnownValue{{TypeKnownName, name}, {TypeKnownEmail, email}, {TypeKnownPhone, phone}, {TypeKnownAddress, addr}, {TypeKnownExternalID, ext}}
		var b builder
		shown := name
		switch g.r.IntN(3) {
		case 0:
			shown = strings.ToUpper(name)
		case 1:
			shown = strings.ToLower(name)
		}
		b.lit(g.pick("Hi ", "Hello ", "Hallo ", "Bonjour "))
		b.val(TypeKnownName, shown)
		b.lit(", we shipped to ")
		b.val(TypeKnownAddress, addr)
		b.lit(". Customer ")
		b.val(TypeKnownExternalID, ext)
		b.lit(" wrote from ")
		b.val(TypeKnownEmail, strings.ToUpper(email[:1])+email[1:])
		b.lit(" — call ")
		b.val(TypeKnownPhone, phone)
		b.lit(" tomorrow.")
		out = append(out, sample{Text: b.sb.String(), Labels: b.labels, Known: kv})
	}
	return out
}
