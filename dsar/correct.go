package dsar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// The steps of a correction: resolve → correct_contacts → verify_correction →
// refresh_local → complete.
const (
	StepCorrectContacts  = "correct_contacts"
	StepVerifyCorrection = "verify_correction"
	StepRefreshLocal     = "refresh_local"
)

// DenyCorrectionAccurate is the reason of a correction denied because the
// business judged the contested information more likely than not accurate
// (CCPA Regulations §7023(b)); `dsar deny --correction-accurate` records it.
const DenyCorrectionAccurate = "CCPA Regulations 7023(b): based on the totality of the circumstances, the contested information is more likely than not accurate, so the requested correction is more likely inaccurate; you may submit a written statement of up to 250 words to be kept with it (7023(f))"

// LocalCopy refreshes the local copy of one contact inside tx (package
// contactsync provides it). It reports what it did: "stored", "restricted"
// (the person's processing is restricted: the copy is left as it is),
// "suppressed", "not_cached" or "stale".
type LocalCopy interface {
	Refresh(ctx context.Context, tx store.Tx, c intercom.Contact) (string, error)
}

// auditFieldKey is the audit count key of a corrected field: its kind, never a
// name a person typed.
func auditFieldKey(f string) string {
	if strings.HasPrefix(f, customPrefix) {
		return "set_custom_attributes"
	}
	return "set_" + f
}

// correctionFields turns a correction's fields into the update Intercom takes,
// checking each custom attribute against the workspace's definitions: it must
// exist, be a custom attribute, be writable through the API and not archived,
// and the value must have its type.
func (s *Service) correctionFields(ctx context.Context, set map[string]string) (intercom.ContactFields, error) {
	var f intercom.ContactFields
	var defs map[string]intercom.DataAttribute
	for _, field := range sortedKeys(set) {
		v := set[field]
		switch field {
		case "name":
			f.Name = intercom.Str(v)
		case "email":
			f.Email = intercom.Str(v)
		case "phone":
			f.Phone = intercom.Str(v)
		default:
			name, ok := strings.CutPrefix(field, customPrefix)
			if !ok {
				return f, &FieldError{Field: shownField(field), Why: "not a field a correction sets"}
			}
			if defs == nil {
				list, err := s.Intercom.ListDataAttributes(ctx, "contact")
				if err != nil {
					return f, fmt.Errorf("dsar: read the workspace's data attributes: %w", err)
				}
				defs = map[string]intercom.DataAttribute{}
				for _, d := range list {
					defs[d.Name] = d
				}
			}
			d, ok := defs[name]
			switch {
			case !ok:
				return f, &FieldError{Field: shownField(field), Why: "no such custom attribute in the workspace (GET /data_attributes lists them)"}
			case !bool(d.Custom):
				return f, &FieldError{Field: shownField(field), Why: "a standard attribute, not a custom one"}
			case !bool(d.APIWritable) || bool(d.Archived):
				return f, &FieldError{Field: shownField(field), Why: "Intercom does not let the API set this attribute (read-only or archived)"}
			}
			val, err := typedValue(d.DataType, v)
			if err != nil {
				return f, &FieldError{Field: shownField(field), Why: err.Error()}
			}
			if f.CustomAttributes == nil {
				f.CustomAttributes = map[string]any{}
			}
			f.CustomAttributes[name] = val
		}
	}
	return f, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// typedValue converts a value given as text to the attribute's data type; ""
// clears the attribute (nil).
func typedValue(dataType, v string) (any, error) {
	if v == "" {
		return nil, nil
	}
	switch dataType {
	case "", "string":
		return v, nil
	case "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, errors.New("the attribute holds whole numbers")
		}
		return n, nil
	case "float":
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errors.New("the attribute holds numbers")
		}
		return x, nil
	case "boolean":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, errors.New("the attribute holds true or false")
		}
		return b, nil
	case "date", "datetime":
		for _, layout := range []string{time.RFC3339, "2006-01-02"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.Unix(), nil
			}
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			return n, nil
		}
		return nil, errors.New("the attribute holds a date: 2006-01-02, RFC 3339 or a UNIX timestamp")
	}
	return nil, fmt.Errorf("the attribute's type %q cannot be set by a correction", truncateShown(dataType))
}

func truncateShown(s string) string {
	if len(s) > 16 || !plainAttr.MatchString(s) {
		return "(unknown)"
	}
	return s
}

// differs lists the fields of f whose value c does not hold yet.
func differs(c intercom.Contact, f intercom.ContactFields) []string {
	var out []string
	cmp := func(name string, want *string, have string, norm func(string) string) {
		if want == nil {
			return
		}
		if norm(*want) != norm(have) {
			out = append(out, name)
		}
	}
	cmp("name", f.Name, c.Name, strings.TrimSpace)
	cmp("email", f.Email, c.Email, func(s string) string { return strings.ToLower(strings.TrimSpace(s)) })
	// Intercom may store a phone number formatted otherwise than it was sent:
	// the digits (and a leading +) are what must match.
	cmp("phone", f.Phone, c.Phone, phoneDigits)
	for _, k := range sortedKeys(f.CustomAttributes) {
		if !sameValue(f.CustomAttributes[k], c.CustomAttributes[k]) {
			out = append(out, customPrefix+k)
		}
	}
	return out
}

// sameValue compares a value to set with one decoded from Intercom's JSON.
func sameValue(want, have any) bool {
	if want == nil {
		return have == nil || have == ""
	}
	a, err1 := json.Marshal(want)
	b, err2 := json.Marshal(have)
	if err1 != nil || err2 != nil {
		return false
	}
	if string(a) == string(b) {
		return true
	}
	// Numbers: 3 and 3.0 are the same value.
	x, e1 := strconv.ParseFloat(string(a), 64)
	y, e2 := strconv.ParseFloat(string(b), 64)
	return e1 == nil && e2 == nil && x == y
}

// only keeps the fields of f named in names.
func only(f intercom.ContactFields, names []string) intercom.ContactFields {
	var out intercom.ContactFields
	for _, n := range names {
		switch n {
		case "name":
			out.Name = f.Name
		case "email":
			out.Email = f.Email
		case "phone":
			out.Phone = f.Phone
		default:
			if k, ok := strings.CutPrefix(n, customPrefix); ok {
				if out.CustomAttributes == nil {
					out.CustomAttributes = map[string]any{}
				}
				out.CustomAttributes[k] = f.CustomAttributes[k]
			}
		}
	}
	return out
}

// writableContacts lists the contacts a correction or a mark is written to:
// the retrieved ones and the canonical contacts of merged ones. Contacts found
// only by id that answer 404 (archived or deleted) cannot be written.
func (r *runner) writableContacts() (live, unwritable []string) {
	for _, m := range r.res.Matches {
		switch {
		case m.Status == StatusActive && !slices.Contains(live, m.ContactID):
			live = append(live, m.ContactID)
		case m.Status == StatusNotRetrievable:
			unwritable = append(unwritable, m.ContactID)
		}
		if m.MergedInto != "" && !slices.Contains(live, m.MergedInto) {
			live = append(live, m.MergedInto)
		}
	}
	return live, unwritable
}

// correctProgress is the Detail of correct_contacts: the targets fixed when the
// step first runs, and per contact the field NAMES changed (never a value).
type correctProgress struct {
	Planned bool                `json:"planned"`
	Targets []string            `json:"targets"`
	Done    []string            `json:"done"`
	Changed map[string][]string `json:"changed"`
	// Unwritable are contacts found by id that Intercom does not serve
	// (archived or deleted): they keep their values.
	Unwritable []string         `json:"unwritable,omitempty"`
	Counts     map[string]int64 `json:"counts"`
}

// ChangedFields returns the field names a correction changed (from its step's
// detail), sorted.
func ChangedFields(steps []store.Step) []string {
	var out []string
	for _, st := range steps {
		if st.Name != StepCorrectContacts {
			continue
		}
		var p correctProgress
		if json.Unmarshal(st.Detail, &p) != nil {
			return nil
		}
		for _, fs := range p.Changed {
			for _, f := range fs {
				if !slices.Contains(out, f) {
					out = append(out, f)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// correctContacts updates every writable contact of the person. For each
// contact it reads the contact first and sends PUT /contacts/{id} with only
// the fields that still differ, then records the contact as done with the
// field names changed: a run resumed after a crash between the PUT and its
// record reads the corrected values and sends nothing again.
func (r *runner) correctContacts(ctx context.Context) error {
	payload, err := r.s.PayloadOf(ctx, r.req)
	if err != nil {
		return err
	}
	want, err := r.s.correctionFields(ctx, payload.Set)
	if err != nil {
		return err
	}
	var p correctProgress
	if _, err := r.loadProgress(ctx, StepCorrectContacts, &p); err != nil {
		return err
	}
	if !p.Planned {
		live, unwritable := r.writableContacts()
		p = correctProgress{Planned: true, Targets: live, Done: []string{}, Changed: map[string][]string{},
			Unwritable: unwritable, Counts: map[string]int64{"contacts_planned": int64(len(live))}}
		if len(unwritable) > 0 {
			p.Counts["contacts_not_writable"] = int64(len(unwritable))
		}
		if err := r.saveProgress(ctx, StepCorrectContacts, p); err != nil {
			return err
		}
	}
	for _, id := range p.Targets {
		if slices.Contains(p.Done, id) {
			continue
		}
		c, err := r.s.Intercom.GetContact(ctx, id)
		if errors.Is(err, intercom.ErrNotFound) || errors.Is(err, intercom.ErrMerged) {
			p.Counts["contacts_gone"]++
			p.Done = append(p.Done, id)
			if err := r.saveProgress(ctx, StepCorrectContacts, p); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("read contact %s: %w", id, err)
		}
		diff := differs(c, want)
		if len(diff) > 0 {
			if _, err := r.s.Intercom.UpdateContact(ctx, id, only(want, diff)); err != nil {
				return fmt.Errorf("update contact %s: %w", id, err)
			}
			p.Counts["contacts_updated"]++
			p.Counts["fields_changed"] += int64(len(diff))
			p.Changed[id] = diff
		} else {
			p.Counts["contacts_already_correct"]++
		}
		p.Done = append(p.Done, id)
		if err := r.saveProgress(ctx, StepCorrectContacts, p); err != nil {
			return err
		}
		r.progress(StepCorrectContacts, "object", len(p.Done), len(p.Targets))
	}
	counts := map[string]int64{}
	for k, v := range p.Counts {
		counts[k] = v
	}
	for f := range payload.Set {
		counts[auditFieldKey(f)]++
	}
	outcome := audit.OutcomeSuccess
	if p.Counts["contacts_updated"] == 0 {
		outcome = audit.OutcomeNoop
	}
	return r.recordStep(ctx, StepCorrectContacts, p, audit.Record{Action: audit.ActionCorrectionUpdated, Outcome: outcome,
		Counts: counts, ObjectIDs: capIDs(p.Done), Reason: "contacts corrected in Intercom (PUT /contacts/{id}); field names in the step, values nowhere"}, nil)
}

// verifyDetail is the Detail of verify_correction.
type verifyDetail struct {
	Counts map[string]int64 `json:"counts"`
}

// CorrectionMismatchError reports contacts that, read again, do not hold the
// corrected values yet (Intercom ids and field names only). The step is
// retried.
type CorrectionMismatchError struct {
	Contacts []string
	Fields   []string
}

func (e *CorrectionMismatchError) Error() string {
	return fmt.Sprintf("dsar: correction verification failed: %d contact(s) (%s) do not hold the new value of %s yet; the step will be retried",
		len(e.Contacts), strings.Join(capIDs(e.Contacts), ", "), strings.Join(e.Fields, ", "))
}

// verifyCorrection reads every corrected contact again and checks it holds
// every new value.
func (r *runner) verifyCorrection(ctx context.Context) error {
	payload, err := r.s.PayloadOf(ctx, r.req)
	if err != nil {
		return err
	}
	want, err := r.s.correctionFields(ctx, payload.Set)
	if err != nil {
		return err
	}
	var p correctProgress
	if _, err := r.loadProgress(ctx, StepCorrectContacts, &p); err != nil {
		return err
	}
	d := verifyDetail{Counts: map[string]int64{}}
	var bad *CorrectionMismatchError
	for _, id := range p.Targets {
		c, err := r.s.Intercom.GetContact(ctx, id)
		if errors.Is(err, intercom.ErrNotFound) || errors.Is(err, intercom.ErrMerged) {
			d.Counts["contacts_gone"]++
			continue
		}
		if err != nil {
			return fmt.Errorf("read contact %s: %w", id, err)
		}
		if diff := differs(c, want); len(diff) > 0 {
			if bad == nil {
				bad = &CorrectionMismatchError{}
			}
			bad.Contacts = append(bad.Contacts, id)
			for _, f := range diff {
				if !slices.Contains(bad.Fields, shownField(f)) {
					bad.Fields = append(bad.Fields, shownField(f))
				}
			}
			continue
		}
		d.Counts["contacts_verified"]++
	}
	if bad != nil {
		return bad
	}
	return r.recordStep(ctx, StepVerifyCorrection, d, audit.Record{Action: audit.ActionCorrectionVerified, Counts: d.Counts,
		ObjectIDs: capIDs(p.Targets), Reason: "every corrected contact read again holds the new values"}, nil)
}

// refreshLocal refreshes the local copy of every corrected contact: it reads
// them from Intercom (outside any transaction), then writes each copy, marks
// the step done and appends its audit record in one transaction. A person
// whose processing is restricted keeps the copy as it was (the restriction
// freezes it).
func (r *runner) refreshLocal(ctx context.Context) error {
	d := verifyDetail{Counts: map[string]int64{}}
	if r.s.LocalCopy == nil {
		d.Counts["local_copy_not_configured"] = 1
		return r.recordStep(ctx, StepRefreshLocal, d, audit.Record{Action: audit.ActionCorrectionLocalRefreshed, Outcome: audit.OutcomeNoop,
			Counts: d.Counts, Reason: "no local copy is kept by this deployment"}, nil)
	}
	var p correctProgress
	if _, err := r.loadProgress(ctx, StepCorrectContacts, &p); err != nil {
		return err
	}
	var fetched []intercom.Contact
	for _, id := range p.Targets {
		c, err := r.s.Intercom.GetContact(ctx, id)
		if errors.Is(err, intercom.ErrNotFound) || errors.Is(err, intercom.ErrMerged) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read contact %s: %w", id, err)
		}
		fetched = append(fetched, c)
	}
	rec := audit.Record{Action: audit.ActionCorrectionLocalRefreshed, Counts: d.Counts, ObjectIDs: capIDs(p.Targets),
		Reason: "local copy refreshed from Intercom after the correction"}
	return r.recordStep(ctx, StepRefreshLocal, &d, rec, func(tx store.Tx) error {
		clear(d.Counts) // the transaction may run again (PostgreSQL retries)
		for _, c := range fetched {
			what, err := r.s.LocalCopy.Refresh(ctx, tx, c)
			if err != nil {
				return err
			}
			d.Counts["local_"+what]++
		}
		return nil
	})
}

// DenyCorrection denies correction id because the business judged the
// contested information more likely than not accurate (CCPA Regulations
// §7023(b)), with DenyCorrectionAccurate as the reason given to the person.
func (s *Service) DenyCorrection(ctx context.Context, id string) (store.Request, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return store.Request{}, err
	}
	if r.Type != store.RequestCorrection {
		return store.Request{}, fmt.Errorf("%w: %s is a %s request; this reason applies to corrections", ErrWrongState, id, r.Type)
	}
	return s.Deny(ctx, id, DenyCorrectionAccurate)
}

// FieldChange is one field of one contact a correction would change, with
// the value it holds now. Old values are for the operator's terminal only:
// nothing stores them.
type FieldChange struct {
	ContactID string `json:"contact_id"`
	Field     string `json:"field"`
	Old       string `json:"old"`
	New       string `json:"new"`
}

// PreviewCorrection resolves the person and reads each writable contact,
// returning, field by field, what the correction would change (only fields
// whose value differs). It writes nothing, in Intercom or here.
func (s *Service) PreviewCorrection(ctx context.Context, ids Identifiers, set map[string]string) ([]FieldChange, error) {
	if s.Intercom == nil {
		return nil, ErrNoIntercom
	}
	norm, err := ids.Normalized()
	if err != nil {
		return nil, err
	}
	want, err := s.correctionFields(ctx, set)
	if err != nil {
		return nil, err
	}
	res, err := s.Resolve(ctx, norm)
	if err != nil {
		return nil, err
	}
	live, _ := (&runner{s: s, res: res}).writableContacts()
	var out []FieldChange
	for _, id := range live {
		c, err := s.Intercom.GetContact(ctx, id)
		if errors.Is(err, intercom.ErrNotFound) || errors.Is(err, intercom.ErrMerged) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("dsar: read contact %s: %w", id, err)
		}
		for _, f := range differs(c, want) {
			fc := FieldChange{ContactID: id, Field: f, New: set[f]}
			switch f {
			case "name":
				fc.Old = c.Name
			case "email":
				fc.Old = c.Email
			case "phone":
				fc.Old = c.Phone
			default:
				if v, ok := c.CustomAttributes[strings.TrimPrefix(f, customPrefix)]; ok && v != nil {
					fc.Old = fmt.Sprint(v)
				}
			}
			out = append(out, fc)
		}
	}
	return out, nil
}

// phoneDigits reduces a phone number to a leading + and its digits.
func phoneDigits(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i, r := range s {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
