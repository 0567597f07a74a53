package pii

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/binary"
	"io"
	"math/bits"
	"strings"
	"sync"
)

// Person names in free text. A name is a run of one to four capitalised
// words (with particles such as "van", "de", "di" between them) that
//
//   - follows a greeting or signature cue ("Hi", "Dear", "Thanks,",
//     "Regards,", "Bonjour", "Hallo", "Hola", "Ciao", "Beste", ...) or a
//     self-introduction ("my name is", "I'm", "this is", "je m'appelle",
//     "ich heiße", "me llamo", "mi chiamo", "mijn naam is");
//   - follows a title (Mr, Mrs, Ms, Miss, Dr, Prof, Herr, Frau, Mme, Sr,
//     Sra, Sig, Dhr, Mevr);
//   - or, without a cue, is at least two words whose first is in the
//     first-name lexicon and whose last is in the surname lexicon.
//
// Common words that are also names ("May", "Will", "Bill", "Grace",
// "Mark") are never a name on the lexicon rule alone, and words that
// follow a greeting without being names ("Hi Team", "Dear Customer") are
// never one. The lexicons (pii/names) are embedded and decompressed once.

//go:embed names/first.txt.gz names/last.txt.gz
var nameFiles embed.FS

const (
	lexFirst = 1 << iota
	lexLast
)

var (
	lexOnce sync.Once
	lexicon *wordSet[uint8]
)

func loadLexicon() {
	// Both files are read whole into one string each; every word is a
	// substring of it, so the 12,000 keys cost no allocation, and the set
	// is filled directly (no intermediate map): 3.3 ms and 12,291
	// allocations before, on the first line with a capitalised word.
	var text [2]string
	total := 0
	for k, path := range []string{"names/first.txt.gz", "names/last.txt.gz"} {
		fh, err := nameFiles.Open(path)
		if err != nil {
			panic("pii: embedded name lexicon missing: " + path) // a build fault, not input
		}
		zr, err := gzip.NewReader(fh)
		if err != nil {
			panic("pii: embedded name lexicon unreadable: " + path)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			panic("pii: embedded name lexicon unreadable: " + path)
		}
		fh.Close()
		text[k] = string(b)
		total += strings.Count(text[k], "\n") + 1
	}
	set := newWordSet[uint8](total)
	for k, bit := range [2]uint8{lexFirst, lexLast} {
		for w := range strings.Lines(text[k]) {
			w = strings.TrimRight(w, "\r\n")
			if w != "" {
				set.set(w, set.m[w]|bit)
			}
		}
	}
	lexicon = set
}

func lexLookup(w []byte) uint8 {
	lexOnce.Do(loadLexicon)
	if v := lexicon.get(w); v != 0 || len(w) > 32 || bytes.IndexByte(w, 0xC3) < 0 {
		return v
	}
	// "Léa", "Ciarán": the lexicon may hold the name without accents.
	var buf [32]byte
	n, folded := 0, false
	for k := 0; k < len(w); k++ {
		c := w[k]
		if c == 0xC3 && k+1 < len(w) {
			if b := latin1Base(w[k+1]); b != 0 {
				buf[n] = b
				n++
				k++
				folded = true
				continue
			}
		}
		buf[n] = c
		n++
	}
	if !folded {
		return 0
	}
	return lexicon.get(buf[:n])
}

// latin1Base returns the ASCII base letter of the Latin-1 letter encoded as
// 0xC3 c in UTF-8 ("é" is C3 A9), or 0.
func latin1Base(c byte) byte {
	const upper = "AAAAAAACEEEEIIII\x00NOOOOO\x00OUUUUY"
	const lower = "aaaaaaaceeeeiiii\x00nooooo\x00ouuuuy"
	switch {
	case c >= 0x80 && c < 0x80+byte(len(upper)):
		return upper[c-0x80]
	case c >= 0xA0 && c < 0xA0+byte(len(lower)):
		return lower[c-0xA0]
	}
	return 0
}

// isFirstName reports whether w is in the first-name lexicon and not a
// common word.
func isFirstName(w []byte) bool {
	return lexLookup(w)&lexFirst != 0 && !nameStop.get(w)
}

// nameStop are capitalised words that are in the lexicons but are more
// often ordinary words, month names or words at the start of a sentence.
var nameStop = newWordSet[bool](400)

// greetNot are capitalised words that follow a greeting or a title cue
// without being a name.
var greetNot = newWordSet[bool](300)

// nameCues are the words (folded to lower case) after which a capitalised
// word is a name; the value says whether a comma may stand between
// ("Thanks, Jane" and the signature "Regards,\nJane").
var nameCues = newWordSet[bool](100)

// cueLast marks the bytes a cue ends with, in either ASCII case: cueBefore
// looks no further back when the word before the blanks ends otherwise
// ("Normal Scheduled").
var cueLast [256]bool

// nameTitles precede a name ("Mr Smith", "Dr. Jane Doe").
var nameTitles = newWordSet[bool](50)

// nameParticleStart[c] is set when some particle starts with c.
var nameParticleStart [256]bool

// titleLens[c0&31][c1&31] has bit n set when some title starts with the
// bytes c0 c1 (ASCII letters, so either case) and has n bytes: "Scheduled",
// "Completed", "Dec" and "Mon" skip the set (titleMaybe).
var titleLens [32][32]uint32

// titleMaybe reports whether w may be a title: its first two bytes, as
// ASCII letters in either case, and its length are those of some title.
// (Other bytes and lengths alias some letters and lengths: the set decides.)
func titleMaybe(w []byte) bool {
	return len(w) >= 2 && titleLens[w[0]&31][w[1]&31]>>(uint(len(w))&31)&1 != 0
}

// cueFirst[c&31] and cueEnd[c&31] have bit n set when some cue of n bytes
// starts, or ends, with c (either case): cueBefore looks up only a word
// that passes both ("Sun", "CBS", "at" do not).
var cueFirst, cueEnd [32]uint32

// cueBlank and cueNear classify the bytes for cueMaybe: cueBlank the
// blanks cueBefore walks back over (' ', '\t', '\r', '\n'); cueNear those
// it may stop at before a cue is ruled out: a blank, ',' or the last byte
// of a cue (cueLast).
const (
	cueBlank = 1 << iota
	cueNear
)

var cueBytes [256]uint8

// cueMaybe reports whether cueBefore(i) may be true: a blank must stand
// before i, and before that blank another, a comma or the last byte of a
// cue. Most capitalised words of a log line follow a blank after a word
// that ends otherwise ("Normal Scheduled"), or start the text, and
// cueMaybe settles them without the call.
func cueMaybe(t []byte, i int) bool {
	return i >= 2 && i <= len(t) && cueBytes[t[i-1]]&cueBlank != 0 && cueBytes[t[i-2]]&cueNear != 0
}

// nameParticles may stand between the words of a name.
var nameParticles = newWordSet[bool](40)

func init() {
	for _, w := range []string{"May", "Will", "Bill", "Grace", "Mark", "June", "April", "August", "Rose", "Hope",
		"Joy", "Faith", "Dawn", "Summer", "Sunny", "Art", "Guy", "Pat", "Chase", "Hunter", "Page", "Long", "Young",
		"King", "White", "Black", "Brown", "Green", "Street", "Hall", "Baker", "Miller", "Price", "Rich", "Love",
		"Bell", "Wood", "Stone", "Field", "Lane", "Hill", "Park", "Ford", "Case", "Cash", "Sterling", "Golden",
		"Star", "Sky", "River", "Forest", "Rock", "Glen", "Dale", "Grant", "Sale", "Close", "Best", "Don",
		"Ben", "Max", "Jack", "Sue", "Drew", "Rob", "Bob", "Ray", "Gene", "Lou", "Pete", "Jean", "Major", "General",
		"Christian", "Frank", "Earnest", "Ernest", "Royal", "Ivy", "Holly", "Lily", "Jewel", "Crystal", "Amber",
		"Ruby", "Pearl", "Olive", "Iris", "Violet", "Jasmine", "Daisy", "Heather", "Autumn", "Winter", "Spring",
		"Angel", "Precious", "Destiny", "Harmony", "Melody", "Unity", "Liberty", "Justice", "Trinity", "Paris",
		"London", "Berlin", "Madrid", "Roma", "Milano", "Florence", "Austin", "Dallas", "Houston", "Jordan",
		"Georgia", "Virginia", "Carolina", "Dakota", "Montana", "Nevada", "India", "China", "Israel", "America",
		"Mercedes", "Porsche", "Tesla", "Apple", "Amazon", "Google", "Microsoft", "Linux", "Windows", "Java",
		"Ruby", "Python", "Rust", "Go", "Swift", "Kotlin", "Monday", "Tuesday", "Wednesday", "Thursday",
		"Friday", "Saturday", "Sunday", "January", "February", "March", "July", "September", "October",
		"November", "December", "Thanks", "Thank", "Hello", "Dear", "Please", "Sorry", "Order", "Account",
		"Customer", "Support", "Team", "Service", "Manager", "Server", "Error", "Warning", "Info", "Debug",
		"New", "York", "San", "Santa", "Los", "Las", "Le", "La", "Les", "El", "Il", "De", "Van", "Von", "Der",
		"Den", "Del", "Della", "Di", "Da", "Du", "Des", "Saint", "St", "North", "South", "East", "West",
		"Central", "United", "Kingdom", "States", "Bank", "Card", "Visa", "Master", "Express", "Union",
		"Post", "Office", "Home", "Street", "Road", "Avenue", "Guerra", "Paz", "Luz", "Sol", "Mar", "Cruz",
		"Reyes", "Santos", "Angeles", "Dolores", "Mercedes", "Pilar", "Rosario", "Consuelo", "Soledad",
		"Amparo", "Esperanza", "Gloria", "Victoria", "Fortuna", "Bella", "Felice", "Fiore",
		"Vita", "Speranza", "Prima", "Neve", "Sole", "Serena",
		"Rosa", "Blanc", "Petit", "Grand", "Blanche", "Claire",
		"Roi", "Lion", "Mai", "Juli", "Juni", "Sommer", "Winter", "Herbst", "Koch", "Schneider", "Fischer",
		"Weber", "Wagner", "Becker", "Schulz", "Hoffmann", "Klein", "Wolf", "Neumann", "Schwarz", "Braun",
		"Lange", "Hahn", "Vogel", "Fuchs", "Berg", "Kaiser", "Herr", "Frau", "Engel", "Jung", "Roth", "Sommer",
		"Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Vos", "Dekker", "Brouwer", "Koster", "Prins",
		"Ok", "Okay", "Yes", "No", "Hi", "Hey", "All", "Everyone", "There", "So", "Much", "Again", "Guys",
		"Folks", "Sir", "Madam", "Madame", "Monsieur", "Team", "Admin", "Administrator", "User", "Agent",
		"Unknown", "Anonymous", "Test", "Testing", "Demo", "Example", "Sample", "Default", "Null", "None",
		"Worker", "Master", "Slave", "Primary", "Secondary", "Main", "Node", "Cluster", "Pod", "Job"} {
		nameStop.set(w, true)
	}
	for _, w := range []string{"Team", "All", "Everyone", "There", "Guys", "Folks", "Sir", "Madam", "Madame",
		"Monsieur", "Customer", "Customers", "Client", "Support", "Again", "So", "Much", "For", "You", "In",
		"Advance", "Again", "Both", "Friends", "Colleagues", "Sirs", "Team,", "Hiring", "Manager", "Valued",
		"Member", "Members", "User", "Users", "Partner", "Partners", "Tous", "Toutes", "Alle", "Zusammen",
		"Todos", "Tutti", "Allemaal", "Iedereen", "Kunde", "Kundin", "Cliente", "Klant", "Equipo", "Squadra",
		"The", "This", "That", "What", "How", "Why", "When", "Where", "Who", "It", "We", "I", "And", "Or",
		"But", "From", "To", "With", "Your", "My", "Our", "Their", "His", "Her", "A", "An", "Not", "Very",
		"Good", "Great", "Morning", "Afternoon", "Evening", "Night", "Day", "Week", "Year", "Best", "Kind",
		"Warm", "Regards", "Thanks", "Thank", "Cheers", "Sincerely", "Happy", "Welcome", "Lots", "Love",
		"Hello", "Hi", "Hey", "Dear", "Please", "Sorry", "Sure", "Yes", "No", "Ok", "Okay", "Of", "On",
		"At", "By", "As", "Is", "Are", "Was", "Be", "Can", "Could", "Would", "Should", "Will", "Did", "Do",
		"Does", "Have", "Has", "Had", "Just", "Also", "Still", "Now", "Then", "Here", "Today", "Tomorrow",
		"Yesterday", "Again", "Everybody", "Anyone", "Someone", "Nobody", "Merci", "Danke", "Gracias",
		"Grazie", "Bedankt", "Obrigado", "Obrigada", "Bonjour", "Hallo", "Hola", "Ciao", "Salve", "Beste",
		"Liebe", "Lieber", "Cher", "Chère", "Querido", "Querida", "Gentile", "Caro", "Cara", "Geachte",
		"Sehr", "Geehrte", "Geehrter", "Estimado", "Estimada", "Egregio", "Gentilissimo", "Gentilissima",
		"Mr", "Mrs", "Ms", "Miss", "Dr", "Prof", "Doctor", "Professor", "Herr", "Frau", "Mme", "Mlle",
		"Sr", "Sra", "Srta", "Sig", "Dhr", "Mevr", "Don", "Dona", "Doña", "Bye", "Goodbye", "Welcome", "Back", "World", "Again,"} {
		greetNot.set(w, true)
	}
	for _, w := range []string{"hi", "hello", "hey", "dear", "thanks", "thank you", "cheers", "regards",
		"best", "sincerely", "greetings", "bonjour", "salut", "merci", "cordialement", "hallo", "liebe",
		"lieber", "danke", "gru\u00df", "gr\u00fc\u00dfe", "hola", "gracias", "saludos", "querido", "querida",
		"estimado", "estimada", "ciao", "salve", "grazie", "saluti", "cari", "caro", "cara", "gentile",
		"beste", "geachte", "groeten", "bedankt", "hoi", "is", "am", "im", "i'm", "appelle", "hei\u00dfe",
		"heisse", "llamo", "chiamo", "ben", "name", "naam", "nombre", "nom", "nome", "from", "by", "signed",
		"love", "xoxo", "welcome", "congratulations", "bye", "ciao"} {
		nameCues.set(w, true)
		cueFirst[w[0]&31] |= 1 << len(w)
		cueEnd[w[len(w)-1]&31] |= 1 << len(w)
		c := w[len(w)-1]
		cueLast[c] = true
		if c >= 'a' && c <= 'z' {
			cueLast[c-32] = true
		}
	}
	for c := range cueBytes {
		if cueLast[c] || c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			cueBytes[c] |= cueNear
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			cueBytes[c] |= cueBlank
		}
	}
	for _, w := range []string{"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "lady", "lord", "herr", "frau",
		"mme", "mlle", "m", "sr", "sra", "srta", "sig", "sigra", "signor", "signora", "dott", "dottssa", "dhr",
		"mevr", "mevrouw", "meneer", "monsieur", "madame", "don", "do\u00f1a", "doctor", "professor"} {
		nameTitles.set(w, true)
		if len(w) >= 2 {
			titleLens[w[0]&31][w[1]&31] |= 1 << len(w)
		}
	}
	for _, w := range []string{"van", "de", "der", "den", "von", "di", "da", "del", "della", "la", "le", "du",
		"dos", "das", "do", "ten", "ter", "y", "zu", "vom", "dei", "degli", "van't", "d'", "bin", "al"} {
		nameParticles.set(w, true)
		nameParticleStart[w[0]] = true
	}
}

// capGlue marks the bytes that, right after a capitalised word, glue it to
// something that is not a name: digits, upper-case letters, '_', '@', '='
// and '/' (one table look-up instead of a chain of compares).
var capGlue = func() (g [256]bool) {
	for c := '0'; c <= '9'; c++ {
		g[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		g[c] = true
	}
	for _, c := range "_@=/" {
		g[c] = true
	}
	return g
}()

// capWord returns the end of the capitalised word at i (an upper-case
// ASCII letter then letters, non-ASCII letters, apostrophes or hyphens)
// or i when there is none; a word glued to digits, '_', '@', '/', '.'
// followed by a letter, or '=' is not a name word.
func capWord(t []byte, i int) int {
	n := len(t)
	if i >= n || !isUpper(t[i]) {
		return i
	}
	e := i + 1
	lowers := false
	// At most 24 bytes: w ends there, which also spares the bounds checks.
	w := t[:min(n, i+24)]
	for {
		l := e
		for uint(e) < uint(len(w)) && capClass[w[e]] == ccLower {
			e++
		}
		lowers = lowers || e > l
		if uint(e) >= uint(len(w)) {
			// The end of the text, or 24 bytes (too long for a name word).
			if e-i < 2 || !lowers || e-i >= 24 {
				return i
			}
			return e
		}
		// t[e] ends the lower-case letters: the word goes on at a
		// non-ASCII byte, an apostrophe, a hyphen before a capital
		// (Anna-Lena) and a capital after an apostrophe or "Mc"
		// (O'Brien, McDonald); it is glued to what follows at a capital,
		// a digit, '_', '@', '=', '/', a '.' before a letter and a ':'
		// before anything but a blank.
		switch capClass[w[e]] {
		case ccStop:
		case ccCont:
			e++
			continue
		case ccHyphen:
			if e+1 < n && isUpper(t[e+1]) {
				e++
				continue
			}
		case ccUpper:
			if w[e-1] == '\'' || e-i == 2 && w[i] == 'M' && w[i+1] == 'c' {
				e++
				continue
			}
			return i
		case ccGlue:
			return i
		case ccDot:
			if e+1 < n && isLetter(t[e+1]) {
				return i
			}
		case ccColon:
			if e+1 < n && t[e+1] != ' ' {
				return i
			}
		}
		if e-i < 2 || !lowers {
			return i
		}
		return e
	}
}

// The classes of capClass, for capWord.
const (
	ccStop   = iota // ends the word: a blank, most punctuation
	ccLower         // a-z
	ccCont          // bytes >= 0x80 and '\''
	ccHyphen        // '-'
	ccUpper         // A-Z
	ccGlue          // digits, '_', '@', '=', '/' (capGlue without A-Z)
	ccDot           // '.'
	ccColon         // ':'
)

var capClass = func() (a [256]uint8) {
	for c := range a {
		switch {
		case c >= 'a' && c <= 'z':
			a[c] = ccLower
		case c >= 0x80 || c == '\'':
			a[c] = ccCont
		case c == '-':
			a[c] = ccHyphen
		case c >= 'A' && c <= 'Z':
			a[c] = ccUpper
		case c >= '0' && c <= '9' || c == '_' || c == '@' || c == '=' || c == '/':
			a[c] = ccGlue
		case c == '.':
			a[c] = ccDot
		case c == ':':
			a[c] = ccColon
		}
	}
	return a
}()

// The candidates of the names pass are the upper-case ASCII letters at the
// start of the text or after a byte that is neither a word byte nor one of
// . / - _ @ = $ # (nameStopByte): each starts a word. run meets them as it
// walks the words and records them (noteCand), so that names need not
// search the text for them again. Where word returns past the end of the
// word (a run of digit groups, a date, a token, a PEM block), run records
// the candidates of the bytes it skipped (noteCandsIn); its timestamp fast
// path skips none ("dddd-dd-ddTdd:dd:dd[.f]Z": its letters follow digits).
//
// run leaves out the candidates that capWord rejects by the word's class
// bits and the byte after it alone (the capsWord rule): a word of two or
// more ASCII letters without a lower-case one ("GET", "HTTP", "INFO"), a
// word with a digit or '_' ("GB82WEST...", "API_KEY"), and a word of ASCII
// letters followed by '/', '@' or '=' ("Mozilla/5.0"). capWord stops
// inside such a word or right after it, at a byte in capGlue, and rejects
// it; names then passes over the word and the byte after it, where no
// candidate can stand, so leaving the candidate out changes nothing. (A
// lone capital is kept: "I'm", "I-Bar" go on past the word.)
//
// TestNameCandsMatchScan compares the list with the scan, and FuzzFastPaths
// the findings with those of runSlow, whose names pass scans the text.

// nameCands is how many candidates run records (a power of two); a line
// of the log corpus has at most nine. When a text has more, or is longer
// than maxNameCandPos (the positions are uint16), names scans it itself.
const (
	nameCands      = 32
	maxNameCandPos = 1<<16 - 1
)

// noteCand records the candidate at p: no branch, the overflow is seen by
// names (nc > nameCands; the array then holds no useful list).
func (s *scanner) noteCand(p int) {
	s.cands[s.nc&(nameCands-1)] = uint16(p)
	s.nc++
}

// noteCap records the upper-case ASCII letter at p, at the start of a
// word, when it is a candidate.
func (s *scanner) noteCap(p int) {
	if p == 0 || !nameStopByte[s.t[p-1]] {
		s.noteCand(p)
	}
}

// plainSkip reports whether t[a:b], 0 < a < b <= len(t), bytes run
// skipped, are at most eight and all below 'A', so that they hold no
// candidate. Most are a few digits and separators ("1.1" of "HTTP/1.1",
// " 44821" of a status and a size), which this test of the eight bytes
// that end at b settles without a call to noteCandsIn.
func plainSkip(t []byte, a, b int) bool {
	if b-a > 8 || b < 8 || b > len(t) {
		return false
	}
	return belowA(binary.LittleEndian.Uint64(t[b-8:]) >> (uint(8-(b-a)) * 8 & 63))
}

// noteCandsIn records the candidates in t[a:b], 0 < a < b <= len(t): the
// bytes run skipped. Those without a byte from 'A' up (digit groups such
// as the last three of an IPv4 address) hold none, which the test eight
// bytes at a time settles.
//
//go:noinline
func (s *scanner) noteCandsIn(a, b int) {
	t := s.t[:b]
	if b >= 8 {
		p := a
		for ; p+8 < b; p += 8 {
			if belowA(binary.LittleEndian.Uint64(t[p:])) {
				continue
			}
			goto scan
		}
		// The last 1 to 8 bytes, the high ones of the 8 that end at b.
		if belowA(binary.LittleEndian.Uint64(t[b-8:]) >> (uint(8-(b-p)) * 8 & 63)) {
			return
		}
	}
scan:
	for p := a; p < len(t); p++ {
		if isUpper(t[p]) && !nameStopByte[t[p-1]] {
			s.noteCand(p)
		}
	}
}

// belowA reports whether every byte of x is below 'A'.
func belowA(x uint64) bool { return (x+0x3f3f3f3f3f3f3f3f|x)&swarHigh == 0 }

// names finds person names (see the comment at the top of this file). It
// looks only at the candidates run recorded (upper-case ASCII letters that
// start a word); the rest of a text whose candidates did not all fit in
// the list, it scans itself, one table look-up a byte, or with the block
// masks.
func (s *scanner) names() {
	if s.nc == 0 || !s.e.on[TypePerson] {
		return // no candidate (run recorded all there are)
	}
	if s.nc <= nameCands {
		s.namesList()
		return
	}
	// The candidates did not all fit in the list: scan for them.
	t := s.t
	n := len(t)
	masks := s.vecPasses
	s.mb = -64 // no block yet: i is not in [mb, mb+64)
	for next := 0; ; {
		var i int
		if i = next; i >= n {
			break
		} else if masks {
			// The next upper-case letter after a byte that is not a
			// word byte nor one of . / - _ @ = $ #, from the masks.
			if i = s.nextNameStart(i); i >= n {
				break
			}
		} else {
			// Eight bytes at a time up to the next upper-case ASCII letter
			// that follows a blank: most log bytes are neither.
			for i+8 <= n {
				x := binary.LittleEndian.Uint64(t[i:])
				y := x &^ swarHigh
				up := (y + swarOnes*(0x80-'A')) &^ (y + swarOnes*(0x7f-'Z')) &^ x & swarHigh
				if up == 0 {
					i += 8
					continue
				}
				i += bits.TrailingZeros64(up) >> 3
				break
			}
			if i >= n {
				break
			}
			if !isUpper(t[i]) || i > 0 && (isWordByte(t[i-1]) || t[i-1] == '.' || t[i-1] == '/' || t[i-1] == '-' ||
				t[i-1] == '_' || t[i-1] == '@' || t[i-1] == '=' || t[i-1] == '$' || t[i-1] == '#') {
				next = i + 1
				continue
			}
		}
		e := capWord(t, i)
		if e == i {
			// No candidate stands inside the word nor on the byte after
			// it (a word byte before each, or no upper-case letter).
			next = skipWord(t, i) + 1
			continue
		}
		next = s.nameAt(i, e)
	}
}

// namesList is names on the candidates run recorded. Most capitalised
// words of a log line are no title, follow no cue and are not followed by
// another capitalised word or a particle; those it passes over without
// the call to nameAt.
func (s *scanner) namesList() {
	t := s.t
	n := len(t)
	// next: the candidates before it are inside a name found or a word
	// passed over, and names passes over them.
	next := 0
	for _, p := range s.cands[:s.nc] {
		i := int(p)
		if i < next {
			continue
		}
		// capWord, its common cases written out: the lower-case letters
		// after the capital end at a blank or punctuation (the word, when
		// there are any), or at a capital ("PacketResponder", "KB":
		// glued, no name word, unless "Mc"). Every candidate is an
		// upper-case ASCII letter. The lines between the markers are
		// capWordQuick's in capword_test.go, which TestCapWordMatchesRef
		// holds to capWord and TestCapWordQuickIsNamesList to these.
		// capWordQuick: begin
		w := t[:min(n, i+24)]
		e := i + 1
		for uint(e) < uint(len(w)) && capClass[w[e]] == ccLower {
			e++
		}
		if uint(e) >= uint(len(w)) {
			e = capWord(t, i)
		} else if k := capClass[w[e]]; k == ccUpper && !(e-i == 2 && w[i] == 'M' && w[i+1] == 'c') {
			e = i // glued: capWord returns i
		} else if k != ccStop || e-i < 2 {
			e = capWord(t, i)
		}
		// capWordQuick: end
		if e == i {
			// No candidate stands inside the word nor on the byte after
			// it (a word byte before each, or no upper-case letter).
			continue
		}
		next = e
		if e+1 < n && t[e] == ' ' && (isUpper(t[e+1]) || t[e+1]-'a' < 26 && nameParticleStart[t[e+1]]) ||
			cueMaybe(t, i) || titleMaybe(t[i:e]) {
			next = s.nameAt(i, e)
		}
	}
}

// nameAt looks for a name at the capitalised word t[i:e] (capWord) and
// returns where names goes on: the end of the name found, or e.
func (s *scanner) nameAt(i, e int) int {
	t := s.t
	n := len(t)
	// A title: "Mr Smith", "Dr. Jane Doe", "Herr Müller".
	if titleMaybe(t[i:e]) && nameTitles.getFold(t[i:e]) {
		k := e
		if k < n && t[k] == '.' {
			k++
		}
		if k+1 < n && t[k] == ' ' {
			// "Herr de Jong", "Mevr. van den Berg": particles first.
			p := k + 1
			for m := 0; m < 2; m++ {
				pe := p
				for pe < n && pe-p < 6 && t[pe] >= 'a' && t[pe] <= 'z' {
					pe++
				}
				if pe > p && pe+1 < n && t[pe] == ' ' && nameParticles.get(t[p:pe]) {
					p = pe + 1
					continue
				}
				break
			}
			if p < n && isUpper(t[p]) {
				if ne := s.nameRun(p, true); ne > p {
					s.emit(TypePerson, k+1, ne, 0.85, "title")
					return ne
				}
			}
		}
		return e
	}
	// One word alone needs a cue before it, and without a cue only
	// the lexicon rule is left, whose first word must be a first
	// name: both tests are cheaper than the look-ups of nameRun, and
	// most capitalised words of a log line fail them.
	c := cueMaybe(t, i) && s.cueBefore(i)
	if !c && (!(e+1 < n && t[e] == ' ' && (isUpper(t[e+1]) || t[e+1] >= 'a' && t[e+1] <= 'z' && nameParticleStart[t[e+1]])) ||
		!isFirstName(t[i:e])) {
		return e
	}
	ne := s.nameRun(i, false)
	if ne > i {
		conf, why := float32(0), ""
		if c && (lexLookup(t[i:e]) != 0 || ne == e && (ne == n || strings.IndexByte(",.!?;:\n\r)", t[ne]) >= 0)) {
			// A cue, and a first word the lexicons know, or a name
			// standing alone ("Hi Zorblax,"); not "Hi, Visa 4111..."
			// nor "Hello World Maria".
			conf, why = 0.85, "cue"
		} else if s.lexiconName(i, ne) {
			conf, why = 0.75, "lexicon"
		}
		if why != "" {
			s.emit(TypePerson, i, ne, conf, why)
			return ne
		}
	}
	return e
}

func skipWord(t []byte, i int) int {
	for i < len(t) && isWordByte(t[i]) {
		i++
	}
	return i
}

// eqFold reports whether w folded to lower case is v (lower case).
func eqFold(w []byte, v string) bool { return len(w) == len(v) && hasPrefixFold(w, v) }

// nameRun returns the end of the name that starts with the capitalised word
// at i: up to four capitalised words separated by one blank, with
// particles between them; i when the first word cannot start a name. With
// cued set (after a title or a cue) the words are not checked against the
// greeting stop list beyond the first.
func (s *scanner) nameRun(i int, cued bool) int {
	t := s.t
	n := len(t)
	e := capWord(t, i)
	if e == i || greetNot.get(t[i:e]) {
		return i
	}
	end := e
	for words := 1; words < 4; {
		k := end
		if k+1 >= n || t[k] != ' ' {
			break
		}
		k++
		// Particles: "van der", "de la", "di".
		p := k
		for m := 0; m < 2; m++ {
			pe := p
			for pe < n && pe-p < 6 && (t[pe] >= 'a' && t[pe] <= 'z' || t[pe] == '\'') {
				pe++
			}
			if pe > p && pe < n && (t[pe] == ' ' || t[pe-1] == '\'') && nameParticles.get(t[p:pe]) {
				p = pe
				if t[p] == ' ' {
					p++
				}
				continue
			}
			break
		}
		we := capWord(t, p)
		if we == p || greetNot.get(t[p:we]) || titleMaybe(t[p:we]) && nameTitles.getFold(t[p:we]) {
			break
		}
		end = we
		words++
	}
	_ = cued
	return end
}

// cueBefore reports whether a greeting, signature or self-introduction
// cue stands right before the name at i: "Hi Jane", "Dear Jane",
// "Thanks, Jane", "Regards,\nJane", "my name is Jane", "I'm Jane".
func (s *scanner) cueBefore(i int) bool {
	t := s.t
	k := i
	nl := 0
	// The loops walk back over slices that end where they start (no
	// bounds checks) and down to their limits (one test a byte).
	for b, lo := t[:i], max(i-8, 0); k > lo; k-- {
		if c := b[k-1]; c != ' ' && c != '\t' && c != '\r' {
			if c != '\n' {
				break
			}
			nl++
		}
	}
	if k == i || nl > 1 {
		return false
	}
	comma := false
	if k > 0 && t[k-1] == ',' {
		comma = true
		k--
	} else if nl > 0 {
		return false // a line that starts with a capitalised word
	}
	e := k
	if e == 0 || !cueLast[t[e-1]] {
		return false
	}
	for b, lo := t[:e], max(e-16, 0); k > lo; k-- {
		if c := b[k-1]; !isLetter(c) && c < 0x80 && c != '\'' {
			break
		}
	}
	if k == e || k > 0 && isWordByte(t[k-1]) {
		return false
	}
	w := t[k:e]
	if (cueFirst[w[0]&31]&cueEnd[w[len(w)-1]&31])>>(uint(len(w))&31)&1 == 0 || !nameCues.getFold(w) {
		return false
	}
	switch {
	case eqFold(w, "is"):
		// "my name is Jane", "this is Jane": the word before must make
		// it an introduction.
		if comma {
			return false
		}
		b := k
		for b > 0 && t[b-1] == ' ' {
			b--
		}
		pe := b
		for b > 0 && pe-b < 8 && isLetter(t[b-1]) {
			b--
		}
		pw := t[b:pe]
		return eqFold(pw, "name") || eqFold(pw, "this") || eqFold(pw, "naam") || eqFold(pw, "here")
	case eqFold(w, "name") || eqFold(w, "naam") || eqFold(w, "nombre") || eqFold(w, "nom") || eqFold(w, "nome"):
		return false // "name: X" is the key rule's
	case eqFold(w, "am") || eqFold(w, "ben"):
		if comma {
			return false
		}
		b := k
		for b > 0 && t[b-1] == ' ' {
			b--
		}
		return b > 0 && (t[b-1] == 'I' || t[b-1] == 'k') && (b < 2 || !isWordByte(t[b-2]))
	case eqFold(w, "im") || eqFold(w, "i'm"):
		return !comma
	case eqFold(w, "from") || eqFold(w, "by") || eqFold(w, "signed"):
		return false
	}
	return true
}

// lexiconName reports whether the capitalised words t[i:e] are a name by
// the lexicons alone: at least two words, the first a first name that is
// not a common word, the last a surname or first name.
func (s *scanner) lexiconName(i, e int) bool {
	t := s.t
	w := t[i:e]
	sp := bytes.IndexByte(w, ' ')
	if sp < 0 {
		return false
	}
	first := w[:sp]
	last := w[bytes.LastIndexByte(w, ' ')+1:]
	if !isFirstName(first) {
		return false
	}
	l := lexLookup(last)
	return l&lexLast != 0 || l&lexFirst != 0 && !nameStop.get(last)
}
