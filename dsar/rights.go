package dsar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// The rights beyond access and erasure (#12): correction (GDPR Art. 16, CCPA
// §1798.106), restriction and its lifting (Art. 18), objection and opt-out
// (Art. 21, CCPA §1798.120/121), and appeals (the US state laws). Correction,
// restriction, lifting and objection run through the same lifecycle and worker
// steps as access and erasure (run.go): each step recorded with its audit
// record before the next, each effect in Intercom done exactly once across
// crashes. An appeal is a request linked to the one it appeals, with the appeal
// clock, decided by an operator (appeal.go).

// Payload is what a request asks beyond the person's identifiers. It is
// personal data (a correction's new values) and is stored encrypted under the
// request's own key, so it is shredded with the identifiers.
type Payload struct {
	// Set maps a field (name, email, phone, custom_attributes.NAME) to its new
	// value; "" clears the field. Correction only.
	Set map[string]string `json:"set,omitempty"`
	// Scope is what an objection covers (ObjectionScopes). Objection only.
	Scope []string `json:"scope,omitempty"`
}

// The scopes of an objection or opt-out.
const (
	// ScopeMarketing: direct marketing (GDPR Art. 21(2)); unsubscribed from
	// emails and from the configured marketing subscription types.
	ScopeMarketing = "marketing"
	// ScopeSaleSharing: sale or sharing of personal information (CCPA
	// §1798.120, the US state opt-outs of sale and targeted advertising);
	// tagged with rights.do_not_sell_tag.
	ScopeSaleSharing = "sale_sharing"
	// ScopeSensitive: limit the use of sensitive personal information (CCPA
	// §1798.121); tagged with rights.do_not_sell_tag.
	ScopeSensitive = "sensitive"
	// ScopeProcessing: objection to processing based on legitimate interests
	// (GDPR Art. 21(1)); recorded and tagged with rights.objection_tag for the
	// controller to weigh.
	ScopeProcessing = "processing"
)

// ObjectionScopes lists the scopes an objection may have.
var ObjectionScopes = []string{ScopeMarketing, ScopeSaleSharing, ScopeSensitive, ScopeProcessing}

// The fields a correction may set, besides custom_attributes.NAME.
var correctableFields = []string{"name", "email", "phone"}

// customPrefix introduces a custom attribute in a correction's field.
const customPrefix = "custom_attributes."

// FieldError reports a correction argument that cannot be used. Field is the
// field as given when it is a known field or a plain attribute name, else a
// placeholder; the value is never repeated.
type FieldError struct {
	Field string
	Why   string
}

func (e *FieldError) Error() string { return fmt.Sprintf("dsar: correction of %s: %s", e.Field, e.Why) }

// Unwrap makes a FieldError an ErrInvalidRequest.
func (e *FieldError) Unwrap() error { return ErrInvalidRequest }

// plainAttr is the shape of an attribute name repeated in messages.
var plainAttr = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// ShownField is field f as a message or record may name it: a known field or
// a plainly named custom attribute, else "(the field given)". Never a value.
func ShownField(f string) string { return shownField(f) }

func shownField(f string) string {
	if slices.Contains(correctableFields, f) || (plainAttr.MatchString(f) && countDigits(f) < 5) {
		return f
	}
	if name, ok := strings.CutPrefix(f, customPrefix); ok && plainAttr.MatchString(name) && countDigits(name) < 5 {
		return f
	}
	return "(the field given)"
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// ParseSet parses one correction argument KEY=VALUE (the CLI's --set, the
// API's fields): KEY is name, email, phone or custom_attributes.NAME, and VALUE
// the new value ("" clears the field). The value is checked for its field's
// shape (an email address, a phone number, text without control characters);
// a custom attribute's type is checked against Intercom's definition when the
// request is filed. Errors are *FieldError and never repeat the value.
func ParseSet(arg string) (field, value string, err error) {
	k, v, ok := strings.Cut(arg, "=")
	if !ok {
		return "", "", &FieldError{Field: "(the argument given)", Why: "write it as KEY=VALUE, e.g. name=Ann Example"}
	}
	field = strings.TrimSpace(k)
	if !utf8.ValidString(arg) {
		return "", "", &FieldError{Field: "(the argument given)", Why: "not valid UTF-8"}
	}
	v = strings.TrimSpace(v)
	switch {
	case field == "":
		return "", "", &FieldError{Field: "(the argument given)", Why: "the field name before = is missing"}
	case slices.Contains(correctableFields, field):
	case strings.HasPrefix(field, customPrefix):
		name := strings.TrimPrefix(field, customPrefix)
		if name == "" || len(name) > 190 || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			return "", "", &FieldError{Field: "custom_attributes", Why: "give the attribute's name: custom_attributes.NAME"}
		}
	default:
		return "", "", &FieldError{Field: shownField(field), Why: "a correction sets name, email, phone or custom_attributes.NAME (Intercom's other fields are not the person's data or are not settable)"}
	}
	if err := checkValue(field, v); err != nil {
		return "", "", err
	}
	return field, v, nil
}

// ParseSets parses every --set argument of a correction into its fields. A
// field given twice is refused (which value was meant is not for the tool to
// guess).
func ParseSets(args []string) (map[string]string, error) {
	out := make(map[string]string, len(args))
	for _, a := range args {
		f, v, err := ParseSet(a)
		if err != nil {
			return nil, err
		}
		if _, dup := out[f]; dup {
			return nil, &FieldError{Field: shownField(f), Why: "given twice"}
		}
		out[f] = v
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: a correction needs at least one --set KEY=VALUE", ErrInvalidRequest)
	}
	return out, nil
}

// checkValue checks a new value's shape for its field.
func checkValue(field, v string) error {
	bad := func(why string) error { return &FieldError{Field: shownField(field), Why: why} }
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return bad("control characters are not allowed")
	}
	if v == "" {
		return nil
	}
	switch field {
	case "email":
		if _, err := (Identifiers{Emails: []string{v}}).Normalized(); err != nil {
			return bad("not a plain email address like name@example.com")
		}
	case "phone":
		if _, err := (Identifiers{Phones: []string{v}}).Normalized(); err != nil {
			return bad("not a phone number: 7 to 15 digits, with + - ( ) . and spaces allowed")
		}
	case "name":
		if utf8.RuneCountInString(v) > 255 {
			return bad("longer than 255 characters")
		}
	default:
		if utf8.RuneCountInString(v) > 255 {
			return bad("longer than 255 characters")
		}
	}
	return nil
}

// ParseScope parses an objection's scope list (comma-separated or repeated).
func ParseScope(items []string) ([]string, error) {
	var out []string
	for _, it := range items {
		for _, s := range strings.Split(it, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if !slices.Contains(ObjectionScopes, s) {
				return nil, fmt.Errorf("%w: scope must be among %s", ErrInvalidRequest, strings.Join(ObjectionScopes, ", "))
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: an objection needs a scope (%s)", ErrInvalidRequest, strings.Join(ObjectionScopes, ", "))
	}
	slices.Sort(out)
	return out, nil
}

// isRightsType reports whether t is one of the types of this file (their steps
// and completion are in correct.go and restrict.go).
func isRightsType(t store.RequestType) bool {
	switch t {
	case store.RequestCorrection, store.RequestRestriction, store.RequestLiftRestriction, store.RequestObjection:
		return true
	}
	return false
}

// clockKind is the kind of legal clock a request type runs on.
func clockKind(t store.RequestType, p Payload) deadline.Kind {
	switch t {
	case store.RequestAppeal:
		return deadline.KindAppeal
	case store.RequestObjection:
		return deadline.KindOptOut
	}
	return ""
}

// RequestNature is the §7101 "nature of the request" of a type.
func RequestNature(t store.RequestType) string { return requestNature(t) }

func rightsNature(t store.RequestType) (string, bool) {
	switch t {
	case store.RequestCorrection:
		return "correction", true
	case store.RequestRestriction:
		return "restriction of processing", true
	case store.RequestLiftRestriction:
		return "lifting of a restriction", true
	case store.RequestObjection:
		return "objection / opt-out", true
	case store.RequestAppeal:
		return "appeal", true
	}
	return "", false
}

// sealPayload encrypts p under the request's key inside tx.
func (s *Service) sealPayload(ctx context.Context, tx store.Tx, id string, p Payload) ([]byte, error) {
	plain, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return s.Vault.With(tx).Encrypt(ctx, requestKeyID(id), vault.AAD{Table: tableRequests, Column: colPayload, Row: id}, plain)
}

const colPayload = "payload"

// PayloadOf decrypts what a request asks beyond its identifiers (empty for
// access and erasure). It fails with vault.ErrShredded once the request's key
// was destroyed.
func (s *Service) PayloadOf(ctx context.Context, r store.Request) (Payload, error) {
	var p Payload
	if len(r.PayloadEnc) == 0 {
		return p, nil
	}
	plain, err := s.Vault.With(s.Store).Decrypt(ctx, requestKeyID(r.ID), vault.AAD{Table: tableRequests, Column: colPayload, Row: r.ID}, r.PayloadEnc)
	if err != nil {
		return p, fmt.Errorf("dsar: payload of %s: %w", r.ID, err)
	}
	if err := json.Unmarshal(plain, &p); err != nil {
		return p, fmt.Errorf("dsar: payload of %s: %w", r.ID, err)
	}
	return p, nil
}

// checkPayload validates a submission's payload for its type.
func (s *Service) checkPayload(ctx context.Context, sub *Submission) error {
	switch sub.Type {
	case store.RequestCorrection:
		if len(sub.Payload.Set) == 0 {
			return fmt.Errorf("%w: a correction needs at least one field to set (--set KEY=VALUE)", ErrInvalidRequest)
		}
		for f, v := range sub.Payload.Set {
			if _, _, err := ParseSet(f + "=" + v); err != nil {
				return err
			}
		}
		if s.Intercom != nil {
			// A custom attribute that does not exist, is not the workspace's
			// own or not writable, or a value of the wrong type, is refused
			// before anything is filed; so is an email another user has
			// (Intercom would refuse the update half-way through).
			if _, err := s.correctionFields(ctx, sub.Payload.Set); err != nil {
				return err
			}
			if err := s.checkEmailFree(ctx, sub.Identifiers, sub.Payload.Set["email"]); err != nil {
				return err
			}
		}
		sub.Payload.Scope = nil
	case store.RequestObjection:
		scope, err := ParseScope(sub.Payload.Scope)
		if err != nil {
			return err
		}
		sub.Payload = Payload{Scope: scope}
	default:
		if len(sub.Payload.Set) > 0 || len(sub.Payload.Scope) > 0 {
			return fmt.Errorf("%w: only a correction sets fields and only an objection has a scope", ErrInvalidRequest)
		}
	}
	return nil
}

// identifierRefs returns the blind indexes of every identifier (the refs the
// local copy and the processing limits are keyed by), with their kinds.
func (s *Service) identifierRefs(ids Identifiers) ([][]byte, []string, error) {
	var refs [][]byte
	var kinds []string
	var err error
	ids.each(func(kind vault.IndexKind, v string) {
		if err != nil {
			return
		}
		var ref []byte
		if ref, err = s.Vault.BlindIndex(kind, v); err == nil {
			refs, kinds = append(refs, ref), append(kinds, string(kind))
		}
	})
	return refs, kinds, err
}

// Limit is an active restriction or objection of a person, as a request shows
// it.
type Limit struct {
	Kind      store.LimitKind `json:"kind"`
	RequestID string          `json:"request_id"`
	Scope     string          `json:"scope,omitempty"`
	Since     time.Time       `json:"since"`
}

// Limits lists the restrictions and objections in force for the person of
// request r (matched by subject reference and, while they are readable, by the
// blind indexes of its identifiers), one per making request and kind. Every
// request's view shows them (GDPR Art. 18: the restriction is visible to
// whoever handles the person's data).
func (s *Service) Limits(ctx context.Context, r store.Request) ([]Limit, error) {
	var refs [][]byte
	if ids, err := s.Identifiers(ctx, r); err == nil {
		if refs, _, err = s.identifierRefs(ids); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, vault.ErrShredded) && len(r.IdentifiersEnc) > 0 {
		return nil, err
	}
	ls, err := s.Store.ActiveLimits(ctx, r.SubjectRef, refs...)
	if err != nil {
		return nil, err
	}
	return distinctLimits(ls), nil
}

func distinctLimits(ls []store.ProcessingLimit) []Limit {
	var out []Limit
	seen := map[string]bool{}
	for _, l := range ls {
		k := string(l.Kind) + "/" + l.RequestID
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, Limit{Kind: l.Kind, RequestID: l.RequestID, Scope: l.Scope, Since: l.CreatedAt})
	}
	return out
}

// restrictionNotice is recorded with a request filed for a person whose
// processing is restricted.
const restrictionNotice = "the person's processing is restricted (GDPR Art. 18) by the request(s) in object_ids: store only, do not use their data beyond what the law allows"

// activeLimitsIn lists, inside tx, the active limits matching refs or ref.
func activeLimitsIn(ctx context.Context, tx store.Tx, ref string, refs [][]byte) ([]Limit, error) {
	ls, err := tx.ActiveLimits(ctx, ref, refs...)
	if err != nil {
		return nil, err
	}
	return distinctLimits(ls), nil
}

// limitRecord adds the restrictions in force to a request.received record.
func limitRecord(rec *audit.Record, ls []Limit) {
	for _, l := range ls {
		if l.Kind == store.LimitRestriction {
			rec.Counts["active_restrictions"]++
			rec.ObjectIDs = append(rec.ObjectIDs, l.RequestID)
		} else {
			rec.Counts["active_objections"]++
		}
	}
	if rec.Counts["active_restrictions"] > 0 {
		if rec.Reason != "" {
			rec.Reason += "; "
		}
		rec.Reason += restrictionNotice
	}
}

// checkEmailFree refuses a correction to an email address that an Intercom
// user other than the person's contacts has: users are unique by email, so
// the update would fail on the person's users after others succeeded.
func (s *Service) checkEmailFree(ctx context.Context, ids Identifiers, email string) error {
	if email == "" {
		return nil
	}
	norm, err := ids.Normalized()
	if err != nil {
		return err
	}
	res, err := s.Resolve(ctx, norm)
	if err != nil {
		return err
	}
	mine := (&runner{res: res}).personContacts()
	for c, err := range s.Intercom.SearchContacts(ctx, intercom.Field("email").Eq(email), intercom.SearchOptions{}) {
		if err != nil {
			return fmt.Errorf("dsar: search the new email: %w", err)
		}
		if c.Role == "user" && !mine[c.ID.String()] {
			return &FieldError{Field: "email", Why: "another Intercom user (" + c.ID.String() + ") has this address; merge or correct that contact first"}
		}
	}
	return nil
}
