package pii

// Values under sensitive keys in text lines. A keyword of the table that
// stands as a key (`name="Jane Doe"`, `ssn=...`, `"secret": "..."`,
// `Authorization: Basic ...`, `user.email=...`) makes its value a finding
// whatever the value's shape: a ghp_ token whose checksum does not match,
// an SSN written with dots, a name. The keys are looked up in the same
// keyword table as the context words, so the word scanner finds them at no
// extra cost; keyValue runs only when one of them is followed by '=' or
// ':'.

// keyTypes lists the sensitive keys (folded to lower case; camelCase keys
// fold to the glued form) and the type of their values. Keys that are also
// context words ("phone", "card", "dob", "ssn") keep their context role.
var keyTypes = map[Type][]string{
	TypePerson: {"name", "firstname", "first_name", "lastname", "last_name", "fullname", "full_name", "surname",
		"givenname", "given_name", "familyname", "family_name", "displayname", "display_name", "username",
		"user_name", "customername", "customer_name", "contactname", "contact_name", "realname", "real_name",
		"nachname", "vorname", "nom", "prenom", "pr\u00e9nom", "nombre", "apellido", "apellidos", "cognome", "achternaam",
		"voornaam", "recipient_name", "sender_name", "billing_name", "cardholder", "holder_name", "author_name"},
	TypeEmail: {"email", "e_mail", "mail", "email_address", "emailaddress", "user_email", "useremail",
		"customer_email", "contact_email", "from_email", "to_email", "reply_to", "recipient", "sender"},
	TypePhone: {"phone", "phone_number", "phonenumber", "mobile", "mobile_number", "tel", "telephone", "cell",
		"msisdn", "fax", "telefon", "telefono", "telefoon", "t\u00e9l\u00e9phone", "handy", "whatsapp"},
	TypeKnownAddress: {"address", "street", "street_address", "streetaddress", "home_address", "homeaddress",
		"billing_address", "billingaddress", "shipping_address", "shippingaddress", "mailing_address",
		"postal_address", "addressline", "adresse", "anschrift", "direccion",
		"direcci\u00f3n", "indirizzo", "adres", "postcode", "zipcode", "zip_code", "postal_code"},
	TypeSecret: {"secret", "token", "api_key", "apikey", "authorization", "cookie", "set_cookie", "access_token",
		"accesstoken", "refresh_token", "refreshtoken", "id_token", "auth_token", "authtoken", "client_secret",
		"clientsecret", "secret_key", "secretkey", "private_key", "privatekey", "access_key", "accesskey",
		"session_token", "sessiontoken", "api_token", "apitoken", "x_api_key", "credentials", "credential",
		"signing_key", "webhook_secret", "bearer_token", "accountkey", "account_key", "subscription_key",
		"subscriptionkey", "aws_secret_access_key", "secret_access_key", "key"},
	TypeSSN:           {"ssn", "social_security_number", "socialsecuritynumber", "ssn_number"},
	TypeDateOfBirth:   {"dob", "date_of_birth", "dateofbirth", "birth_date", "birthdate", "birthday", "geburtsdatum"},
	TypeIBAN:          {"iban", "bank_account", "bankaccount", "account_number", "accountnumber"},
	TypeCard:          {"card", "card_number", "cardnumber", "credit_card", "creditcard", "pan", "cc_number", "ccnumber"},
	TypePassport:      {"passport", "passport_number", "passportnumber", "passport_no"},
	TypeDriverLicense: {"driver_license", "driverslicense", "drivers_license", "driverlicense", "dl_number", "licence_number", "license_number"},
}

// personKeyOwners are the words that may stand before ".name" for the value
// to be a person's name ("user.name", "customer.name"); "service.name",
// "span.name" and "host.name" are not.
var personKeyOwners = map[string]bool{"user": true, "customer": true, "contact": true, "person": true,
	"author": true, "sender": true, "recipient": true, "owner": true, "member": true, "client": true,
	"patient": true, "employee": true, "profile": true, "billing": true, "shipping": true, "lead": true,
	"visitor": true, "admin": true, "agent": true, "assignee": true, "requester": true, "teammate": true}

// valueStop classifies the bytes that end an unquoted value: vEnd always
// (line ends, quotes, '|', tabs), vWord unless the value runs to the end
// of the line (blanks and punctuation).
var valueStop = func() (v [256]uint8) {
	for _, c := range "\n\r\"'|\t" {
		v[c] = vEnd
	}
	for _, c := range " ,;&}])<>{(" {
		v[c] = vWord
	}
	return v
}()

const (
	vEnd = 1 << iota
	vWord
)

// keyValue handles the sensitive key t[i:j] of type typ: when it stands as
// a key, its value is a finding of that type.
func (s *scanner) keyValue(i, j int, typ Type, bare bool) {
	t := s.t
	n := len(t)
	if !s.e.on[typ] {
		return
	}
	if j-i == 3 && eqFold(t[i:j], "key") && (i == 0 || t[i-1] != '-') {
		return // "key" alone is a key only in a header ("X-Api-Key:", "Ocp-Apim-Subscription-Key:")
	}
	// What stands before the key.
	var open byte
	if i > 0 {
		switch c := t[i-1]; c {
		case '/', '\\', '$', '#', '@', '%', '*', '+':
			return // a path ("stream/token:") or an expression, not a key
		case '"', '\'':
			open = c
		case '.':
			// "user.name": the owner must be a person for a bare name key.
			if typ == TypePerson && bare {
				k := i - 1
				for k > 0 && i-1-k < 16 && isLetter(t[k-1]) {
					k--
				}
				var buf [16]byte
				o := buf[:0]
				for _, c := range t[k : i-1] {
					o = append(o, lower(c))
				}
				if !personKeyOwners[string(o)] {
					return
				}
			}
		}
	}
	k := j
	if open != 0 && k < n && t[k] == open {
		k++
	}
	if k < n && t[k] == ' ' {
		k++
	}
	if k >= n {
		return
	}
	sepc := t[k]
	if sepc != '=' && sepc != ':' {
		return
	}
	k++
	if k < n && (t[k] == '=' || t[k] == ':' || sepc == ':' && t[k] == '/') {
		return // "==", "::", "http:/"
	}
	if sepc == ':' && open == 0 && i >= 2 && t[i-1] == ' ' && isLetter(t[i-2]) {
		return // "file name: ...", "Bad activity token: ...": a label inside a sentence
	}
	// A header line ("Authorization: Basic ...", "Cookie: a=1; b=2"): the
	// key starts the line and its value runs to the end of the line.
	lineStart := true
	for b := i - 1; b >= 0 && t[b] != '\n'; b-- {
		if t[b] != ' ' && t[b] != '\t' {
			lineStart = false
			break
		}
	}
	for m := 0; m < 3 && k < n && (t[k] == ' ' || t[k] == '\t'); m++ {
		k++
	}
	if k >= n {
		return
	}
	var vs, ve int
	if q := t[k]; q == '"' || q == '\'' {
		vs = k + 1
		ve = vs
		for ve < n && ve-vs < 512 && t[ve] != q && t[ve] != '\n' && t[ve] != '\r' {
			if t[ve] == '\\' && ve+1 < n {
				ve++
			}
			ve++
		}
		if ve >= n || t[ve] != q {
			return
		}
	} else {
		vs = k
		ve = k
		toEOL := sepc == ':' && lineStart && (typ == TypeSecret || typ == TypeKnownAddress)
		if typ == TypeSecret {
			// "Bearer abc...", "Basic dXNl...": keep the scheme word.
			for _, sch := range [...]string{"bearer ", "basic ", "token ", "digest ", "negotiate "} {
				if n-k > len(sch) && hasPrefixFold(t[k:], sch) {
					k += len(sch)
					vs, ve = k, k
					break
				}
			}
		}
		stop := uint8(vEnd | vWord)
		if toEOL {
			stop = vEnd
		}
		for w := t[:min(n, vs+1024)]; ve < len(w) && valueStop[w[ve]]&stop == 0; {
			ve++
		}
		switch typ {
		case TypePerson:
			// Further capitalised words and particles: "name: Jane Doe",
			// "customer_name=Sofia van den Berg".
			for m := 0; m < 4 && ve+1 < n && t[ve] == ' ' && (isUpper(t[ve+1]) || t[ve+1] >= 'a' && t[ve+1] <= 'z'); m++ {
				e := ve + 1
				for e < n && (isLetter(t[e]) || t[e] >= 0x80 || t[e] == '-' || t[e] == '\'') {
					e++
				}
				if e < n && (t[e] == '=' || t[e] == ':') {
					break
				}
				if !isUpper(t[ve+1]) && !(nameParticles.get(t[ve+1:e]) && e+1 < n && t[e] == ' ') {
					break
				}
				ve = e
			}
		case TypePhone, TypeCard, TypeIBAN, TypeSSN:
			// Further groups: "phone: +44 7911 591695", "iban: DE89 3704 ...".
			for ve+1 < n && t[ve] == ' ' {
				e := ve + 1
				for e < n && e-ve <= 6 && (isDigit(t[e]) || isUpper(t[e]) && typ == TypeIBAN || t[e] == '(' || t[e] == ')' || t[e] == '-') {
					e++
				}
				if e == ve+1 || e-ve > 6 || e < n && !(t[e] == ' ' || t[e] == ',' || t[e] == ';' || t[e] == '"' || t[e] == '\n' || t[e] == '.') {
					break
				}
				ve = e
			}
			if typ == TypePhone {
				ve = phoneExt(t, ve) // "phone: 020 7946 0958 x1234"
			}
		}
		for ve > vs && (t[ve-1] == '.' || t[ve-1] == ' ' || t[ve-1] == ':') {
			ve--
		}
		ve = runeBoundary(t, ve)
		if ve < n && (t[ve] == '{' || t[ve] == '(') {
			return // "token=Token{a64f992": an object, not a value
		}
	}
	if ve <= vs || t[vs] == '[' || t[vs] == '{' || t[vs] == '*' || t[vs] == '<' {
		return
	}
	v := t[vs:ve]
	if len(v) <= 9 {
		var buf [9]byte
		lv := buf[:len(v)]
		for m, c := range v {
			lv[m] = lower(c)
		}
		switch string(lv) {
		case "null", "nil", "none", "-", "true", "false", "undefined", "n/a", "empty", "unknown", "redacted", "0", "":
			return
		}
	}
	switch typ {
	case TypePhone, TypeSSN, TypeIBAN, TypeCard, TypeDateOfBirth:
		if !hasDigit(v) {
			return // "phone: call me tomorrow"
		}
	case TypeKnownAddress:
		if len(v) > 1 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') || !hasLetter(v) {
			return // "address=0x000001b0", "address=10.0.0.1"
		}
	case TypePerson:
		if bare && !nameLike(v) {
			return // "name=com.android.systemui", "name=audioserver"
		}
	}
	s.emit(typ, vs, ve, 0.8, "key")
	if typ == TypePhone {
		// The value is a phone by its key: the digit runs inside it need
		// no libphonenumber call (eval reads keyPhone).
		s.keyPhone = span{vs, ve}
	}
}

func hasLetter(v []byte) bool {
	for _, c := range v {
		if isLetter(c) || c >= 0x80 {
			return true
		}
	}
	return false
}

func hasDigit(v []byte) bool {
	for _, c := range v {
		if isDigit(c) {
			return true
		}
	}
	return false
}

// nameLike reports whether v, the value of a bare "name" key, can be a
// person's name: letters (any script), blanks, hyphens, apostrophes and
// dots of initials, starting with an upper-case letter or a non-ASCII one.
func nameLike(v []byte) bool {
	if len(v) < 2 || len(v) > 80 || !(isUpper(v[0]) || v[0] >= 0x80) {
		return false
	}
	words := 1
	for k, c := range v {
		switch {
		case isLetter(c) || c >= 0x80 || c == '-' || c == '\'':
		case c == ' ':
			words++
		case c == '.':
			if k == 0 || !isUpper(v[k-1]) {
				return false
			}
		default:
			return false
		}
	}
	// One capitalised word alone ("Worker", "Default") is a name only when
	// it is in the first-name lexicon.
	return words > 1 || isFirstName(v)
}
