package classify

import "strings"

// KeyRules decides from a key name alone whether the value under it is
// personal data or a secret. It serves generic JSON logs (KindGeneric,
// unknown fields of Intercom objects) and the redacting slog handler.
//
// Key names are normalised before matching: ASCII letters are lower-cased
// and every character other than a letter or digit is dropped, so
// "User-Email", "user_email" and "userEmail" all match the suffix "email".
//
// The default rules match exact names (name, first_name, username, ip,
// dob, address, zip, location, user_agent, ssn, passport, tax_id, iban,
// card_number, cvv, ...) and suffixes (email, phone, mobile, token,
// password, secret, api_key, private_key, authorization, cookie, session,
// credentials, signature, ...); the full lists are in keys.go. The zero
// value and a nil *KeyRules use the defaults. KeyRules is immutable after
// construction and safe for concurrent use.
type KeyRules struct {
	exact  map[string]Label
	suffix []suffixRule
	// byLast indexes suffix by the suffix's last byte.
	byLast [256][]suffixRule
}

type suffixRule struct {
	s string
	l Label
}

// defaultSensitiveKeys are the key names (normalised) whose values are
// redacted whole, with their label.
var defaultSensitiveKeys = map[string]Label{
	"name": LabelName, "firstname": LabelName, "lastname": LabelName, "fullname": LabelName,
	"givenname": LabelName, "familyname": LabelName, "surname": LabelName,
	"displayname": LabelName, "username": LabelName, "realname": LabelName,
	"customername": LabelName, "contactname": LabelName, "authorname": LabelName,
	"personname": LabelName, "recipientname": LabelName, "sendername": LabelName,
	"billingname": LabelName, "ownername": LabelName, "nickname": LabelName,
	"ip": LabelIP, "ipaddress": LabelIP, "ipaddr": LabelIP, "clientip": LabelIP, "remoteip": LabelIP,
	"remoteaddr": LabelIP, "sourceip": LabelIP, "userip": LabelIP, "lastseenip": LabelIP,
	"xforwardedfor": LabelIP, "xrealip": LabelIP,
	"dob": LabelDateOfBirth, "dateofbirth": LabelDateOfBirth, "birthdate": LabelDateOfBirth,
	"birthday": LabelDateOfBirth,
	"address":  LabelAddress, "streetaddress": LabelAddress, "street": LabelAddress,
	"addressline1": LabelAddress, "addressline2": LabelAddress, "homeaddress": LabelAddress,
	"postcode": LabelAddress, "postalcode": LabelAddress, "zip": LabelAddress, "zipcode": LabelAddress,
	"billingaddress": LabelAddress, "shippingaddress": LabelAddress, "mailingaddress": LabelAddress,
	"location": LabelLocation, "latitude": LabelLocation, "longitude": LabelLocation,
	"lat": LabelLocation, "lng": LabelLocation, "lon": LabelLocation, "geo": LabelLocation,
	"useragent": LabelDevice, "deviceid": LabelDevice, "fingerprint": LabelDevice,
	"ssn": LabelNationalID, "passport": LabelNationalID, "passportnumber": LabelNationalID,
	"taxid": LabelNationalID, "nationalid": LabelNationalID, "nino": LabelNationalID,
	"driverslicense": LabelNationalID, "driverlicense": LabelNationalID,
	"iban": LabelFinancial, "creditcard": LabelFinancial, "cardnumber": LabelFinancial,
	"cvv": LabelFinancial, "cvc": LabelFinancial, "pan": LabelFinancial,
	"accountnumber": LabelFinancial, "bankaccount": LabelFinancial,
	"auth": LabelSecret, "tel": LabelPhone,
}

// defaultSensitiveSuffixes are the normalised key suffixes whose values are
// redacted whole: "contact_email", "x-api-key", "refresh_token".
var defaultSensitiveSuffixes = map[string]Label{
	"email": LabelEmail, "emailaddress": LabelEmail, "mail": LabelEmail,
	"phone": LabelPhone, "phonenumber": LabelPhone, "mobile": LabelPhone, "telephone": LabelPhone,
	"token": LabelSecret, "password": LabelSecret, "passwd": LabelSecret, "pwd": LabelSecret,
	"passphrase": LabelSecret, "secret": LabelSecret, "apikey": LabelSecret,
	"privatekey": LabelSecret, "secretkey": LabelSecret, "accesskey": LabelSecret,
	"signingkey": LabelSecret, "encryptionkey": LabelSecret, "masterkey": LabelSecret,
	"authorization": LabelSecret, "cookie": LabelSecret, "setcookie": LabelSecret,
	"sessionid": LabelSecret, "session": LabelSecret, "credential": LabelSecret,
	"credentials": LabelSecret, "signature": LabelSecret, "bearer": LabelSecret,
	"ssn": LabelNationalID, "iban": LabelFinancial,
}

var defaultKeyRules = NewKeyRules(nil)

// NewKeyRules returns the default rules plus extra exact key names, each
// with its label (normalised like the keys they match). A nil map adds
// nothing.
func NewKeyRules(extra map[string]Label) *KeyRules {
	r := &KeyRules{exact: make(map[string]Label, len(defaultSensitiveKeys)+len(extra))}
	for k, l := range defaultSensitiveKeys {
		r.exact[k] = l
	}
	for k, l := range extra {
		r.exact[string(normalizeKey(nil, k))] = l
	}
	for s, l := range defaultSensitiveSuffixes {
		r.suffix = append(r.suffix, suffixRule{s, l})
	}
	// Longest suffix first, so that "emailaddress" wins over "address".
	for i := 1; i < len(r.suffix); i++ {
		for j := i; j > 0 && (len(r.suffix[j].s) > len(r.suffix[j-1].s) ||
			len(r.suffix[j].s) == len(r.suffix[j-1].s) && r.suffix[j].s < r.suffix[j-1].s); j-- {
			r.suffix[j], r.suffix[j-1] = r.suffix[j-1], r.suffix[j]
		}
	}
	for _, sr := range r.suffix {
		last := sr.s[len(sr.s)-1]
		r.byLast[last] = append(r.byLast[last], sr)
	}
	return r
}

// Match reports whether the value under key is sensitive, and its label.
func (r *KeyRules) Match(key string) (Label, bool) {
	return match(r, key)
}

// match is Match for a key held in a string or a byte slice; it does not
// allocate for keys of up to 64 letters and digits.
func match[K string | []byte](r *KeyRules, key K) (Label, bool) {
	if r == nil || r.exact == nil {
		r = defaultKeyRules
	}
	var buf [64]byte
	return r.matchNormalized(normalizeKey(buf[:0], key))
}

// matchNormalized matches a normalised key.
func (r *KeyRules) matchNormalized(n []byte) (Label, bool) {
	if len(n) == 0 {
		return 0, false
	}
	if l, ok := r.exact[string(n)]; ok {
		return l, true
	}
	for _, s := range r.byLast[n[len(n)-1]] {
		if len(n) >= len(s.s) && string(n[len(n)-len(s.s):]) == s.s {
			return s.l, true
		}
	}
	return 0, false
}

// normalizeKey appends the lower-cased ASCII letters and digits of key to dst.
func normalizeKey[K string | []byte](dst []byte, key K) []byte {
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			dst = append(dst, c)
		case c >= 'A' && c <= 'Z':
			dst = append(dst, c+('a'-'A'))
		}
	}
	return dst
}

// defaultSensitiveAttributes are the custom attribute names (normalised like
// key names) that are PII by default. Every other custom attribute is
// scanned as Content unless Options.CustomAttributes says otherwise.
var defaultSensitiveAttributes = map[string]Label{
	"address": LabelAddress, "streetaddress": LabelAddress, "homeaddress": LabelAddress,
	"postcode": LabelAddress, "zipcode": LabelAddress, "zip": LabelAddress,
	"ssn": LabelNationalID, "socialsecuritynumber": LabelNationalID,
	"dob": LabelDateOfBirth, "dateofbirth": LabelDateOfBirth, "birthday": LabelDateOfBirth,
	"birthdate": LabelDateOfBirth,
	"passport":  LabelNationalID, "passportnumber": LabelNationalID,
	"taxid": LabelNationalID, "nationalid": LabelNationalID, "vatid": LabelNationalID,
	"iban": LabelFinancial, "bankaccount": LabelFinancial, "creditcard": LabelFinancial,
	"phone": LabelPhone, "mobile": LabelPhone, "phonenumber": LabelPhone,
	"password": LabelSecret, "email": LabelEmail, "secondaryemail": LabelEmail,
	"ip": LabelIP, "ipaddress": LabelIP,
}

// attributeClass returns the classification of the custom attribute name
// under the given configuration: an explicit entry wins, then the default
// sensitive names, then Content.
func attributeClass(cfg map[string]Field, name string) Field {
	var buf [64]byte
	n := normalizeKey(buf[:0], name)
	if f, ok := cfg[string(n)]; ok {
		return f
	}
	if l, ok := defaultSensitiveAttributes[string(n)]; ok {
		return personal(l)
	}
	return text
}

// normalizeAttributeConfig normalises the keys of a custom attribute
// configuration.
func normalizeAttributeConfig(in map[string]Field) map[string]Field {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]Field, len(in))
	for k, f := range in {
		out[string(normalizeKey(nil, strings.TrimSpace(k)))] = f
	}
	return out
}
