// Package evalgen generates labelled evaluation text for the pii engine
// that is independent of the engine's own code: it does not import pii,
// and its formats table (phone layouts of the 12 regions, card issuer
// ranges and groupings, secret shapes, log line layouts) is written here
// from the public descriptions of those formats, not from the
// detectors. It makes two corpora:
//
//   - Chat: support-chat sentences in the 12 countries' formats, holding
//     the kinds of values a detector tends to miss (cards outside the
//     common issuer ranges or of 12, 15 or 19 digits, phones with
//     extensions, "(0)" trunk prefixes or inside a sentence, US driver's
//     licences, passports, dates of birth written M/D/YYYY or month first,
//     URLs carrying an e-mail or a token, secrets of published shapes,
//     person names after greetings, titles and in signatures) and hard
//     negatives (order and tracking numbers, prices, versions, dates
//     without a birth cue, common words that are also names).
//   - Logs: lines of nginx and Apache access logs, JSON application logs,
//     Go slog text, Rails and Django lines and Kubernetes events, each with
//     ids, hashes, UUIDs, trace ids, durations and sizes, with personal
//     data planted in about 5 % of lines. Every id-like token is recorded
//     as a negative, so over-redaction can be measured.
//
// Every labelled value carries its exact byte span.
package evalgen

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Label kinds.
const (
	Email    = "EMAIL"
	Phone    = "PHONE"
	Card     = "CARD"
	IBAN     = "IBAN"
	IP       = "IP"
	Secret   = "SECRET"
	Person   = "PERSON"
	DOB      = "DOB"
	DL       = "DRIVER_LICENSE"
	Passport = "PASSPORT"
	URLPII   = "URL_PII" // the e-mail or token inside a URL
)

// Span is one labelled value: text[Start:End] is of kind Kind.
type Span struct {
	Kind       string
	Start, End int
}

// Sample is one labelled text: the values to find (Want) and tokens that
// must not be redacted (Keep).
type Sample struct {
	Text string
	Want []Span
	Keep []Span
}

type builder struct {
	sb   strings.Builder
	want []Span
	keep []Span
}

func (b *builder) lit(s string) { b.sb.WriteString(s) }
func (b *builder) val(kind, v string) {
	st := b.sb.Len()
	b.sb.WriteString(v)
	b.want = append(b.want, Span{kind, st, b.sb.Len()})
}
func (b *builder) neg(v string) {
	st := b.sb.Len()
	b.sb.WriteString(v)
	b.keep = append(b.keep, Span{"", st, b.sb.Len()})
}
func (b *builder) sample() Sample {
	return Sample{Text: b.sb.String(), Want: b.want, Keep: b.keep}
}

type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, seed*0x2545F4914F6CDD1D+1))} }

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g *gen) n(k int) int              { return g.r.IntN(k) }
func (g *gen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}
func (g *gen) hex(n int) string {
	const h = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = h[g.r.IntN(16)]
	}
	return string(b)
}
func (g *gen) alnum(n int) string {
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = a[g.r.IntN(len(a))]
	}
	// Published shapes mix the classes; make sure a digit and both cases occur.
	if n >= 3 {
		b[0] = 'A' + byte(g.r.IntN(26))
		b[1] = 'a' + byte(g.r.IntN(26))
		b[2] = '0' + byte(g.r.IntN(10))
		g.r.Shuffle(n, func(i, j int) { b[i], b[j] = b[j], b[i] })
	}
	return string(b)
}

// ---- formats table ----

// phoneFormat writes one phone number of a region: national digits are
// drawn from ranges the national numbering plans assign, then laid out as
// people write them. %s stands for drawn digits.
type phoneFormat struct {
	region string
	make   func(g *gen) string
}

var phoneFormats = []phoneFormat{
	{"US", func(g *gen) string {
		a, x, l := g.pick("212", "415", "646", "312", "617", "202", "305", "713", "206", "512"), fmt.Sprint(200+g.n(800)), g.digits(4)
		return g.pick("("+a+") "+x+"-"+l, a+"-"+x+"-"+l, a+"."+x+"."+l, "+1 "+a+" "+x+" "+l, "1-"+a+"-"+x+"-"+l)
	}},
	{"CA", func(g *gen) string {
		a, x, l := g.pick("416", "604", "514", "613", "403"), fmt.Sprint(200+g.n(800)), g.digits(4)
		return g.pick("("+a+") "+x+"-"+l, "+1 "+a+"-"+x+"-"+l)
	}},
	{"GB", func(g *gen) string {
		switch g.n(4) {
		case 0:
			return "020 7" + g.digits(3) + " " + g.digits(4)
		case 1:
			return "07" + g.pick("700", "911", "400", "521") + " " + g.digits(6)
		case 2:
			return "+44 (0)20 7" + g.digits(3) + " " + g.digits(4)
		}
		return "+44 7" + g.pick("700", "911", "400") + " " + g.digits(6)
	}},
	{"DE", func(g *gen) string {
		switch g.n(4) {
		case 0:
			return "030 " + fmt.Sprint(2+g.n(7)) + g.digits(7)
		case 1:
			return "0" + g.pick("151", "160", "170", "176") + " " + g.digits(8)
		case 2:
			return "+49 (0)30 " + fmt.Sprint(2+g.n(7)) + g.digits(7)
		}
		return "+49 " + g.pick("151", "176") + " " + g.digits(8)
	}},
	{"FR", func(g *gen) string {
		d := g.digits(8)
		p := g.pick("01", "06", "07"+fmt.Sprint(3+g.n(7)), "04")
		if len(p) == 3 {
			d = p[2:] + d[:7]
			p = p[:2]
		}
		if g.n(2) == 0 {
			return p + " " + d[0:2] + " " + d[2:4] + " " + d[4:6] + " " + d[6:8]
		}
		return "+33 " + p[1:] + " " + d[0:2] + " " + d[2:4] + " " + d[4:6] + " " + d[6:8]
	}},
	{"ES", func(g *gen) string {
		if g.n(2) == 0 {
			return g.pick("6"+g.digits(1), "7"+fmt.Sprint(1+g.n(4))) + g.digits(1) + " " + g.digits(3) + " " + g.digits(3)
		}
		return "+34 91 " + g.digits(3) + " " + g.digits(2) + " " + g.digits(2)
	}},
	{"IT", func(g *gen) string {
		if g.n(2) == 0 {
			return "3" + g.pick("33", "47", "20", "39") + " " + g.digits(3) + " " + g.digits(4)
		}
		return "+39 06 " + g.digits(4) + " " + g.digits(4)
	}},
	{"NL", func(g *gen) string {
		if g.n(2) == 0 {
			return "06 " + fmt.Sprint(1+g.n(8)) + g.digits(7)
		}
		return "020 " + g.digits(3) + " " + g.digits(4)
	}},
	{"IE", func(g *gen) string {
		if g.n(2) == 0 {
			return "08" + g.pick("3", "5", "6", "7") + " " + g.digits(3) + " " + g.digits(4)
		}
		return "+353 1 " + g.digits(3) + " " + g.digits(4)
	}},
	{"AU", func(g *gen) string {
		if g.n(2) == 0 {
			return "04" + g.digits(2) + " " + g.digits(3) + " " + g.digits(3)
		}
		return "(02) 9" + g.digits(3) + " " + g.digits(4)
	}},
	{"BR", func(g *gen) string {
		if g.n(2) == 0 {
			return "(11) 9" + fmt.Sprint(6+g.n(4)) + g.digits(3) + "-" + g.digits(4)
		}
		return "+55 21 2" + g.digits(3) + "-" + g.digits(4)
	}},
	{"IN", func(g *gen) string {
		m := g.pick("98", "99", "97", "91", "81", "70") + g.digits(3)
		if g.n(2) == 0 {
			return m + " " + g.digits(5)
		}
		return "+91 " + m + " " + g.digits(5)
	}},
}

// luhnComplete appends the check digit to body.
func luhnComplete(body string) string {
	sum := 0
	double := true
	for i := len(body) - 1; i >= 0; i-- {
		v := int(body[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return body + string(byte('0'+(10-sum%10)%10))
}

// cardRange is an issuer prefix, the lengths it issues and how the number
// is grouped when written.
type cardRange struct {
	prefix  func(g *gen) string
	lengths []int
}

var cardRanges = []cardRange{
	{func(g *gen) string { return "4" }, []int{16, 13, 19}},
	{func(g *gen) string { return fmt.Sprint(51 + g.n(5)) }, []int{16}},
	{func(g *gen) string { return fmt.Sprint(2221 + g.n(500)) }, []int{16}},
	{func(g *gen) string { return g.pick("34", "37") }, []int{15}},
	{func(g *gen) string { return "6011" }, []int{16, 19}},
	{func(g *gen) string { return fmt.Sprint(3500 + g.n(100)) }, []int{16, 19}}, // JCB, whole 35xx
	{func(g *gen) string { return g.pick("1800", "2131") }, []int{15}},          // JCB, old ranges
	{func(g *gen) string { return g.pick("36", "38") }, []int{14}},
	{func(g *gen) string { return "62" }, []int{16, 19}},
	{func(g *gen) string { return g.pick("50", "56", "57", "58", "63", "67") }, []int{12, 13, 16, 19}}, // Maestro
}

func (g *gen) cardNumber() (digits string) {
	r := cardRanges[g.n(len(cardRanges))]
	n := r.lengths[g.n(len(r.lengths))]
	p := r.prefix(g)
	return luhnComplete(p + g.digits(n-len(p)-1))
}

// groupCard lays the digits out compact, in fours (space or dash), or
// 4-6-5 for 15 digits.
func (g *gen) groupCard(d string) string {
	switch g.n(3) {
	case 0:
		return d
	}
	sep := g.pick(" ", "-")
	if len(d) == 15 && g.n(2) == 0 {
		return d[:4] + sep + d[4:10] + sep + d[10:]
	}
	var parts []string
	for i := 0; i < len(d); i += 4 {
		parts = append(parts, d[i:min(i+4, len(d))])
	}
	return strings.Join(parts, sep)
}

// knownIIN reports whether the card's prefix is one that every issuer
// table lists for its length (so a detector may report it with no cue).
func knownIIN(d string) bool {
	switch {
	case d[0] == '4':
		return len(d) == 16
	case d[:2] >= "51" && d[:2] <= "55", d[:2] == "34" || d[:2] == "37":
		return true
	}
	return false
}

// ---- people ----

var firstNames = []string{"Emma", "Olivia", "Liam", "Noah", "Sophie", "Lukas", "Hannah", "Léa", "Chloé", "Lucas",
	"Hugo", "Sofia", "Lucía", "Martina", "Pablo", "Giulia", "Alessandro", "Francesca", "Matteo", "Daan", "Sanne",
	"Femke", "Jesper", "Aoife", "Ciarán", "Siobhan", "Priya", "Arjun", "Ananya", "Rahul", "Gabriel", "Beatriz",
	"Camila", "Thiago", "Charlotte", "Oliver", "Amelia", "Jack", "Isla", "Harry", "Mia", "Ethan", "Chloe",
	"Benjamin", "Zoe", "Jonas", "Lena", "Felix", "Marie", "Paul", "Elena", "Javier", "Laura", "Marco", "Anna",
	"Thomas", "Julia", "David", "Sarah", "Michael"}

var surnames = []string{"Smith", "Johnson", "Williams", "Garcia", "Müller", "Schmidt", "Schneider", "Martin",
	"Bernard", "Dubois", "Lefebvre", "Fernández", "López", "Martínez", "Rossi", "Russo", "Ferrari", "Esposito",
	"de Jong", "Jansen", "de Vries", "van den Berg", "Murphy", "O'Brien", "Kelly", "Walsh", "Sharma", "Patel",
	"Iyer", "Reddy", "Silva", "Santos", "Oliveira", "Costa", "Taylor", "Wilson", "Thompson", "Nguyen",
	"Anderson", "Campbell", "Becker", "Hoffmann", "Moreau", "Laurent", "Romano", "Colombo", "Ruiz", "Navarro",
	"Bakker", "Visser", "Byrne", "Kumar", "Gupta", "Pereira", "Roberts", "Evans"}

func (g *gen) fullName() string { return g.pick(firstNames...) + " " + g.pick(surnames...) }

// ---- secrets of published shapes ----

func (g *gen) secret() string {
	switch g.n(12) {
	case 0:
		return "sk-proj-" + g.alnum(48)
	case 1:
		return "sk-" + g.alnum(20) + "T3BlbkFJ" + g.alnum(20)
	case 2:
		return "SG." + g.alnum(22) + "." + g.alnum(43)
	case 3:
		return "ya29.a0" + g.alnum(60)
	case 4:
		return "GOCSPX-" + g.alnum(28)
	case 5:
		return "AKIA" + strings.ToUpper(g.hex(16))
	case 6:
		return "xoxb-" + g.digits(11) + "-" + g.digits(12) + "-" + g.alnum(24)
	case 7:
		return "sk_live_" + g.alnum(24)
	case 8:
		return "glpat-" + g.alnum(20)
	case 9:
		return "AIza" + g.alnum(35)
	case 10:
		return "hf_" + g.alnum(34)
	}
	return "sk-ant-api03-" + g.alnum(80)
}

// ---- chat ----

var cardCues = []string{"my card number is ", "card: ", "Visa ", "credit card ", "Kreditkarte ", "carte bancaire ",
	"tarjeta ", "carta di credito ", "creditcard ", "Mastercard ending... no, full number ", "card no. ", "CC# "}

var phoneCues = []string{"call me on ", "my number is ", "phone: ", "reach me at ", "mobile ", "Tel. ",
	"Telefon: ", "téléphone ", "teléfono: ", "cellulare ", "telefoon ", "you can ring ", "whatsapp "}

// Chat returns n labelled support-chat samples.
func Chat(seed uint64, n int) []Sample {
	g := newGen(seed)
	out := make([]Sample, 0, n)
	for len(out) < n {
		out = append(out, g.chat())
	}
	return out
}

func (g *gen) chat() Sample {
	b := &builder{}
	switch g.n(16) {
	case 0, 1: // card
		d := g.cardNumber()
		if knownIIN(d) && g.n(3) == 0 {
			b.lit(g.pick("Please charge ", "Use ", "It's ", "The number is "))
			b.val(Card, g.groupCard(d))
			b.lit(g.pick(" thanks", ", exp 09/27", ".", " - can you retry?"))
		} else {
			b.lit(g.pick("Hi, ", "", "Hello! ", "So ") + g.pick(cardCues...))
			b.val(Card, g.groupCard(d))
			b.lit(g.pick(" expires 11/28", ", cvv on the back", ".", " — was declined twice"))
		}
	case 2, 3: // phone
		f := phoneFormats[g.n(len(phoneFormats))]
		b.lit(g.pick("Sure, ", "", "Ok ", "If easier, ") + g.pick(phoneCues...))
		p := f.make(g)
		switch g.n(4) {
		case 0:
			p += g.pick(" x", " ext. ", " ext ", " #") + g.digits(2+g.n(3))
		}
		b.val(Phone, p)
		b.lit(g.pick(" after 5pm", ", thanks!", ".", " any time tomorrow", " ("+f.region+")"))
	case 4: // phone in a sentence without a cue word
		f := phoneFormats[g.n(len(phoneFormats))]
		b.lit(g.pick("I tried ", "Nobody answered at ", "Text ", "Best to use "))
		b.val(Phone, f.make(g))
		b.lit(g.pick(" yesterday", " but it rang out", " instead", " please"))
	case 5: // names
		name := g.fullName()
		switch g.n(6) {
		case 0:
			b.lit(g.pick("Hi ", "Hello ", "Dear ", "Hey "))
			b.val(Person, name)
			b.lit(", " + g.pick("thanks for waiting.", "your refund is on its way.", "I checked your account."))
		case 1:
			b.lit("Thanks for your help!\n" + g.pick("Best,", "Regards,", "Cheers,", "Thanks,") + "\n")
			b.val(Person, name)
		case 2:
			b.lit(g.pick("My name is ", "my name is ", "This is "))
			b.val(Person, name)
			b.lit(g.pick(" and I can't log in.", ", calling about my order.", "."))
		case 3:
			b.lit(g.pick("Mr ", "Ms ", "Dr ", "Mrs. ", "Herr ", "Mme "))
			b.val(Person, g.pick(surnames...))
			b.lit(g.pick(" asked for a callback.", " is the account owner.", " will sign the form."))
		case 4:
			b.lit("I spoke with ")
			b.val(Person, name)
			b.lit(g.pick(" last week about it.", " on the phone.", " from billing."))
		default:
			b.val(Person, name)
			b.lit(g.pick(" reported the bug.", " is our admin now.", " approved the refund."))
		}
	case 6: // secrets
		b.lit(g.pick("oops I pasted my key ", "here is the token: ", "config has ", "is this right? ", "api key "))
		b.val(Secret, g.secret())
		b.lit(g.pick(" - please delete", "", " thanks", "."))
	case 7: // DL / passport
		if g.n(2) == 0 {
			b.lit(g.pick("driver's license ", "Driver License: ", "DL# ", "my drivers license number is "))
			b.val(DL, g.pick("D"+g.digits(7), g.digits(9), string(byte('A'+g.n(26)))+g.digits(12), g.digits(8), "S"+g.digits(8)))
		} else {
			b.lit(g.pick("passport number ", "Passport: ", "passport no. ", "Reisepass ", "numéro de passeport "))
			b.val(Passport, g.pick(g.digits(9), "C"+strings.ToUpper(g.alnum(8)), g.digits(2)+"AB"+g.digits(5), "X"+g.digits(8)))
		}
		b.lit(g.pick(" for the verification", ".", ", expires 2031"))
	case 8: // DOB
		m, d, y := 1+g.n(12), 1+g.n(28), 1940+g.n(65)
		months := []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
		b.lit(g.pick("DOB ", "date of birth: ", "I was born on ", "born ", "Birthday: "))
		b.val(DOB, g.pick(fmt.Sprintf("%d/%d/%d", m, d, y), fmt.Sprintf("%02d.%02d.%d", d, m, y),
			fmt.Sprintf("%d-%02d-%02d", y, m, d), fmt.Sprintf("%s %d, %d", months[m-1], d, y), fmt.Sprintf("%d %s %d", d, months[m-1], y)))
		b.lit(g.pick(", if that helps", ".", " for the age check"))
	case 9: // URL with personal data
		user := strings.ToLower(g.pick(firstNames...))
		if user == "léa" || user == "chloé" || user == "ciarán" || user == "lucía" {
			user = "lea"
		}
		email := user + "." + g.digits(2) + "@" + g.pick("example.com", "mail.example.org", "example.co.uk")
		b.lit(g.pick("the link was ", "I clicked ", "see "))
		switch g.n(3) {
		case 0:
			b.lit("https://app.example.com/users/")
			b.val(URLPII, email)
			b.lit("/settings")
		case 1:
			b.lit("https://example.com/account?email=")
			b.val(URLPII, email)
			b.lit("&lang=en")
		default:
			b.lit("https://portal.example.net/" + g.pick("reset", "verify", "invite", "magic-link") + "/")
			b.val(URLPII, g.alnum(32))
		}
		b.lit(g.pick(" and it failed", "", " - expired?"))
	case 10: // email plain
		b.lit("my email is ")
		b.val(Email, strings.ToLower(g.pick("jane", "max", "giulia", "daan", "priya"))+g.digits(3)+"@example.com")
	case 11: // IBAN
		b.lit(g.pick("IBAN ", "refund to ", "my account "))
		b.val(IBAN, g.pick("DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32", "FR1420041010050500013M02606", "NL91ABNA0417164300", "ES9121000418450200051332"))
	default: // hard negatives
		switch g.n(12) {
		case 0:
			b.lit("Order ")
			b.neg(g.digits(9))
			b.lit(" was shipped, tracking ")
			b.neg("1Z" + strings.ToUpper(g.alnum(16)))
		case 1:
			b.lit("Ticket #")
			b.neg(g.digits(6))
			b.lit(" is closed; amount €")
			b.neg(fmt.Sprintf("%d,%03d.%02d", 1+g.n(9), g.n(1000), g.n(100)))
		case 2:
			b.lit(g.pick("May I ask", "Will you", "Can you Bill", "Grace period", "Mark as read", "Hope this helps") + " about the invoice from ")
			b.neg(fmt.Sprintf("%02d/%02d/%d", 1+g.n(12), 1+g.n(28), 2020+g.n(6)))
			b.lit("?")
		case 3:
			b.lit(g.pick("Hi Team,", "Dear Customer,", "Hello there,", "Hi all,", "Thanks again,") + " the app version is ")
			b.neg(fmt.Sprintf("%d.%d.%d", g.n(20), g.n(20), g.n(200)))
		case 4:
			b.lit("We use " + g.pick("Google Chrome", "Microsoft Teams", "Apple Pay", "Amazon Web Services", "Visa Direct", "New York Times") + " on build ")
			b.neg(g.digits(7))
		case 5:
			b.lit("Reference ")
			b.neg(g.digits(12))
			b.lit(" and invoice ")
			b.neg("INV-" + g.digits(8))
		case 6:
			b.lit("The meeting is on " + g.pick("Monday", "Friday") + " at ")
			b.neg(fmt.Sprintf("%02d:%02d", g.n(24), g.n(60)))
			b.lit(" in " + g.pick("Paris", "London", "Berlin", "Madrid") + ".")
		case 7:
			b.lit("Error code ")
			b.neg(g.digits(10))
			b.lit(" appeared ")
			b.neg(fmt.Sprint(2 + g.n(40)))
			b.lit(" times")
		case 8:
			b.lit("Customer id ")
			b.neg(g.digits(8))
			b.lit(", plan " + g.pick("Pro", "Premium", "Enterprise"))
		case 9:
			b.lit("Please Advise On The Order Status for ")
			b.neg(g.digits(9))
		case 10:
			b.lit("iOS ")
			b.neg(fmt.Sprintf("%d.%d.%d", 15+g.n(4), g.n(8), g.n(5)))
			b.lit(" on iPhone ")
			b.neg(fmt.Sprint(11 + g.n(5)))
		default:
			b.lit("Total ")
			b.neg(fmt.Sprintf("%d %03d %03d", 1+g.n(9), g.n(1000), g.n(1000)))
			b.lit(" requests in ")
			b.neg(fmt.Sprint(g.n(100)))
			b.lit(" days")
		}
	}
	return b.sample()
}
