package intake

// The person's own step to the higher verification level (CCPA Regs
// §7062(c), §7024).
//
// The e-mail link verifies to a reasonable degree only. When it files an
// access request that would get the categories-only answer (a law that tiers
// verification: CCPA), and the handler can read Intercom (Options.Contacts),
// the filing's transaction also opens a step-up offer (store.StepUp: a
// token, stored as a digest, for StepUpTTL) and the page asks, instead of
// the plain confirmation, for a second data point — the phone number on the
// Intercom contact, or the answer to a configured question
// (intake.verification_attribute, a custom attribute) — and, under CCPA, a
// declaration signed under penalty of perjury (a checkbox and the typed full
// name). The answer is compared normalised (phone: digits, a trunk 0 or a
// country code aside; text: case and spaces aside) in constant time against
// every contact of the address, and never shown back; wrong answers are
// counted (maxStepUpAttempts) besides the per-network throttle. A match
// raises the request's level to high (dsar.Service.RaiseVerificationWithin:
// the audit record names the method) in the transaction that settles the
// offer (method, time, and when the declaration was signed; never the name
// typed). The person may also go on with the categories only. While the
// offer is open the request's run waits (dsar.ErrStepUpOffered), so the
// package is not built at the lower level under their feet.

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/jurisdiction"
	"github.com/intercom-privacy/intercom-privacy/messages"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// Paths of the step-up.
const (
	// PathStepUp receives the second data point.
	PathStepUp = "/privacy/verify/more"
	// PathHigher explains how to reach the higher level (the categories-only
	// answer links to it).
	PathHigher = messages.HigherLevelPath
	// StepUpTTL is how long the offer stays open (the run waits that long
	// at most).
	StepUpTTL         = time.Hour
	maxStepUpAttempts = 3
)

// stepUpPage is what the step-up page shows.
type stepUpPage struct {
	Token, Question, Hint string
	Phone                 bool
	Declaration           bool
	TriesLeft             int
	AnswerError           bool
	DeclareError          bool
	NameError             bool
}

// offerStepUp opens, inside the filing's transaction, the offer to reach the
// higher level for r, and returns its token ("" when none is offered).
func (h *Handler) offerStepUp(ctx context.Context, tx store.Tx, r store.Request) (string, error) {
	if h.o.Contacts == nil || !dsar.CategoriesOnly(r) {
		return "", nil
	}
	token := NewToken()
	th, err := ParseToken(token)
	if err != nil {
		return "", err
	}
	now := h.now()
	if _, err := tx.CreateStepUp(ctx, store.StepUp{RequestID: r.ID, TokenHash: th, CreatedAt: now, ExpiresAt: now.Add(StepUpTTL)}); err != nil {
		return "", err
	}
	return token, nil
}

func (h *Handler) declarationNeeded(r store.Request) bool {
	return deadline.Jurisdiction(r.Jurisdiction) == deadline.CCPA
}

func (h *Handler) stepUpPage(w http.ResponseWriter, hr *http.Request, status int, token string, r store.Request, errs []fieldError) {
	p := h.base("One more step for a full copy")
	p.Errors = errs
	p.StepUp = stepUpPage{Token: token, Declaration: h.declarationNeeded(r), TriesLeft: maxStepUpAttempts}
	if h.cfg.VerificationAttribute != "" {
		p.StepUp.Question = cmp.Or(h.cfg.VerificationQuestion, "Your answer to the security question you set with us")
	} else {
		p.StepUp.Question, p.StepUp.Phone = "Your phone number, as you gave it to us", true
		p.StepUp.Hint = "With or without the country code; spaces and dashes do not matter."
	}
	for _, e := range errs {
		switch e.Field {
		case "answer":
			p.StepUp.AnswerError = true
		case "declare":
			p.StepUp.DeclareError = true
		case "full_name":
			p.StepUp.NameError = true
		}
	}
	h.render(w, hr, status, "stepup", p)
}

// stepUpForm is a posted step-up form.
type stepUpForm struct {
	Token, Action, Answer, FullName string
	Declared                        bool
}

// parseStepUp reads a step-up form (urlencoded, at most maxForm bytes; a
// field given twice is refused).
func parseStepUp(body string) (stepUpForm, error) {
	v, err := url.ParseQuery(body)
	if err != nil {
		return stepUpForm{}, err
	}
	for _, vs := range v {
		if len(vs) > 1 {
			return stepUpForm{}, errors.New("intake: a field is given twice")
		}
	}
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	return stepUpForm{Token: get("token"), Action: get("action"), Answer: get("answer"), FullName: get("full_name"), Declared: get("declare") == "yes"}, nil
}

func (h *Handler) stepUpClosed(w http.ResponseWriter, r *http.Request) {
	h.problem(w, r, httpx.KindNotFound, "This step is no longer open",
		"It was already answered, or it is older than an hour. Your request goes on: we answer it with the categories of data we hold. For a full copy, make a new request.")
}

func (h *Handler) stepUp(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.verifyL.allow(r.Context(), clientKey(r), h.now()) {
		h.problem(w, r, httpx.KindThrottled, "Too many attempts", "Too many answers were sent from your network. Try again in an hour.")
		return
	}
	if r.ContentLength > maxForm {
		h.problem(w, r, httpx.KindTooLarge, "Too much data", "The form was larger than it can be. Fill it in again.")
		return
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxForm+1))
	if err != nil || len(b) > maxForm {
		h.problem(w, r, httpx.KindBadRequest, "The form could not be read", "Fill it in again.")
		return
	}
	f, err := parseStepUp(string(b))
	th, terr := ParseToken(f.Token)
	if err != nil || terr != nil {
		h.stepUpClosed(w, r)
		return
	}
	su, err := h.o.Store.StepUpByToken(ctx, th)
	if err != nil || su.State != store.StepUpOpen || !h.now().Before(su.ExpiresAt) {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			h.logger().Error("intake: step-up lookup failed", "error", errClass(err))
		}
		h.stepUpClosed(w, r)
		return
	}
	req, err := h.o.Store.GetRequest(ctx, su.RequestID)
	if err != nil || dsar.Finished(req.State) || req.VerificationLevel != store.VerificationLow {
		h.stepUpClosed(w, r)
		return
	}
	if f.Action == "skip" {
		next := su
		next.State, next.SettledAt = store.StepUpDeclined, h.now()
		if err := h.o.Store.UpdateStepUp(ctx, next, su); err != nil {
			h.stepUpClosed(w, r)
			return
		}
		h.goOn(ctx, req)
		h.confirmed(w, r, req, "We will answer with the categories of personal information we hold about you, where it came from, why we use it and who we share it with. For the information itself, make a new request and answer the extra question.")
		return
	}
	var errs []fieldError
	if f.Answer == "" || len(f.Answer) > 200 {
		errs = append(errs, fieldError{"answer", "Enter your answer."})
	}
	if h.declarationNeeded(req) {
		if !f.Declared {
			errs = append(errs, fieldError{"declare", "Tick the declaration to sign it, or go on with the categories only."})
		}
		if f.FullName == "" || len(f.FullName) > 200 {
			errs = append(errs, fieldError{"full_name", "Type your full name to sign the declaration."})
		}
	}
	if len(errs) > 0 {
		h.stepUpPage(w, r, http.StatusUnprocessableEntity, f.Token, req, errs)
		return
	}
	ids, err := h.o.DSAR.Identifiers(ctx, req)
	if err != nil || len(ids.Emails) == 0 {
		h.stepUpClosed(w, r)
		return
	}
	contacts, err := h.o.Contacts(ctx, ids.Emails[0])
	if err != nil {
		h.logger().Warn("intake: the contacts could not be read for a step-up", "error", errClass(err))
		h.problem(w, r, httpx.KindBusy, "We cannot check your answer now", "Try again in a few minutes, from the same page.")
		return
	}
	method, ok := h.matchAnswer(contacts, f.Answer)
	if !ok {
		next := su
		next.Attempts++
		if next.Attempts >= maxStepUpAttempts {
			next.State, next.SettledAt = store.StepUpFailed, h.now()
		}
		if err := h.o.Store.UpdateStepUp(ctx, next, su); err != nil {
			h.stepUpClosed(w, r)
			return
		}
		if next.State == store.StepUpFailed {
			h.goOn(ctx, req)
			h.problem(w, r, httpx.KindInvalid, "We could not confirm your identity to the higher level",
				"The answers did not match what we hold. Your request goes on: we answer it with the categories of data we hold. For a full copy, make a new request later, or write to us.")
			return
		}
		left := maxStepUpAttempts - next.Attempts
		h.stepUpPage(w, r, http.StatusUnprocessableEntity, f.Token, req, []fieldError{{"answer",
			fmt.Sprintf("That does not match what we hold about you. Check it and try again (%d tries left).", left)}})
		return
	}
	now := h.now()
	evidence := "the e-mail link and a second data point (" + method + ") matched against the Intercom contact on the public form"
	if h.declarationNeeded(req) {
		evidence += ", with a declaration under penalty of perjury signed (CCPA Regs section 7062(c))"
	}
	raised, err := h.o.DSAR.RaiseVerificationWithin(ctx, req.ID, evidence, func(ctx context.Context, tx store.Tx, _ store.Request) error {
		next := su
		next.State, next.Method, next.SettledAt = store.StepUpRaised, method, now
		if h.declarationNeeded(req) {
			next.DeclaredAt = now
		}
		return tx.UpdateStepUp(ctx, next, su)
	})
	if err != nil {
		if !errors.Is(err, store.ErrStateConflict) && !errors.Is(err, dsar.ErrWrongState) && !errors.Is(err, dsar.ErrFinished) {
			h.logger().Error("intake: the level could not be raised", "error", errClass(err))
		}
		h.stepUpClosed(w, r)
		return
	}
	h.goOn(ctx, raised)
	h.confirmed(w, r, raised, "We confirmed your identity to the higher level: you will receive a copy of the personal information itself.")
}

// goOn queues the request's run again (it waited for the step-up).
func (h *Handler) goOn(ctx context.Context, r store.Request) {
	if h.o.Filed != nil {
		h.o.Filed(ctx, r)
	}
	if h.o.Kick != nil {
		h.o.Kick(ctx)
	}
}

func (h *Handler) confirmed(w http.ResponseWriter, r *http.Request, req store.Request, note string) {
	p := h.base("Request confirmed")
	due := req.DueAt
	if !req.ExtendedDueAt.IsZero() {
		due = req.ExtendedDueAt
	}
	p.Due, p.LowerLevel = due.UTC().Format("2 January 2006"), note
	h.render(w, r, http.StatusOK, "verified", p)
}

// matchAnswer compares answer, normalised, with the configured data point of
// every contact, in constant time per comparison; it returns the method's
// name (never a value).
func (h *Handler) matchAnswer(contacts []intercom.Contact, answer string) (string, bool) {
	attr := h.cfg.VerificationAttribute
	matched := false
	for _, c := range contacts {
		if attr == "" {
			for _, p := range []string{c.Phone, c.FormattedPhone} {
				matched = SamePhone(p, answer) || matched
			}
			continue
		}
		if v, ok := c.CustomAttributes[attr]; ok && v != nil {
			matched = SameAnswer(fmt.Sprint(v), answer) || matched
		}
	}
	if attr == "" {
		return "phone number", matched
	}
	return "answer to the verification question", matched
}

// phoneDigits keeps the digits of a phone number.
func phoneDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// SamePhone reports whether two phone numbers are the same once normalised:
// digits only, leading zeros (a trunk prefix, 00) aside, and a country code
// of up to three digits aside when the rest has at least nine digits.
func SamePhone(stored, typed string) bool {
	a, b := strings.TrimLeft(phoneDigits(stored), "0"), strings.TrimLeft(phoneDigits(typed), "0")
	if len(a) < 6 || len(b) < 6 {
		return false
	}
	if len(a) == len(b) {
		return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
	}
	short, long := a, b
	if len(short) > len(long) {
		short, long = long, short
	}
	if len(short) < 9 || len(long)-len(short) > 3 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(short), []byte(long[len(long)-len(short):])) == 1
}

// SameAnswer reports whether two answers are the same once normalised: case,
// spaces and punctuation at the ends aside.
func SameAnswer(stored, typed string) bool {
	a, b := normAnswer(stored), normAnswer(typed)
	if a == "" || b == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func normAnswer(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) })
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// higher is the page the categories-only answer links to: how to reach the
// higher level.
func (h *Handler) higher(w http.ResponseWriter, r *http.Request) {
	p := h.base("Getting a full copy of your data")
	p.StepUp.Declaration = true
	if info, err := jurisdiction.For(deadline.CCPA); err == nil {
		p.Message = info.Region
	}
	if h.cfg.VerificationAttribute != "" {
		p.StepUp.Question = cmp.Or(h.cfg.VerificationQuestion, "the answer to the security question you set with us")
	} else {
		p.StepUp.Question = "the phone number you gave us"
	}
	h.render(w, r, http.StatusOK, "higher", p)
}
