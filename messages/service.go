package messages

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/jurisdiction"
	"github.com/intercom-privacy/intercom-privacy/mail"
	"github.com/intercom-privacy/intercom-privacy/notice"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// DownloadLink is the secure link to an access package.
type DownloadLink struct {
	URL       string
	ExpiresAt time.Time
	Uses      int
}

// Downloads makes, inside tx, the download link of a completed access
// request's package, whose codes go to email (package web/intake provides
// it). ok is false when the request has no package to link to.
type Downloads interface {
	Link(ctx context.Context, tx store.Tx, r store.Request, email string) (link DownloadLink, ok bool, err error)
}

// Service renders messages and writes them to the outbox. It implements
// dsar.Messenger.
type Service struct {
	Outbox    *mail.Outbox
	Templates *Templates
	Config    *config.Config
	// Lang is the language of the messages ("" is en).
	Lang string
	// Downloads, when set, puts a download link in access completions.
	Downloads Downloads
	// PackageTTL is how long a package is kept, for a completion without a
	// link (0: 7 days).
	PackageTTL time.Duration
	// PublicURL is the base of the public form's pages ("" when there is
	// none): a categories-only answer links to HigherLevelPath there.
	PublicURL string
}

// HigherLevelPath is the public page that tells a person how to reach the
// reasonably high degree of certainty (package web/intake serves it).
const HigherLevelPath = "/privacy/higher-verification"

// HigherLevel fills what a categories-only answer says of the higher level.
func (s *Service) HigherLevel(d *Data) {
	d.CategoriesOnly = true
	if s.PublicURL != "" {
		d.HigherLevelURL = s.PublicURL + HigherLevelPath
		d.HigherLevelHow = "To receive the data itself, make a new request for a copy; after you confirm your e-mail address we ask you one more question about you and, where the law asks it, a signed declaration. How: " + d.HigherLevelURL
		return
	}
	d.HigherLevelHow = "To receive the data itself, write to us and we will tell you what we need to confirm your identity to the higher level."
}

// Base fills the fields every message shares from the configuration and r.
func (s *Service) Base(r store.Request) (Data, deadline.Jurisdiction, error) {
	j, err := deadline.ParseJurisdiction(r.Jurisdiction)
	if err != nil {
		return Data{}, "", err
	}
	law, err := jurisdiction.For(j)
	if err != nil {
		return Data{}, "", err
	}
	cfg := s.Config
	if cfg == nil {
		cfg = config.Default()
	}
	d := Data{
		Controller: cfg.Access.Controller, Contact: cfg.Access.ContactDPO, RequestID: r.ID,
		RequestWhat: RequestWhat(r.Type), State: string(r.State), Law: law,
		ReceivedAt: r.ReceivedAt, DueAt: r.DueAt,
	}
	if !r.ExtendedDueAt.IsZero() {
		d.DueAt, d.ExtensionReason = r.ExtendedDueAt, r.ExtensionReason
	}
	return d, j, nil
}

// RequestWhat is a request type as the person reads it.
func RequestWhat(t store.RequestType) string {
	switch t {
	case store.RequestAccess:
		return "a copy of your personal data"
	case store.RequestErasure:
		return "the deletion of your personal data"
	case store.RequestAccessErasure:
		return "a copy of your personal data and its deletion"
	case store.RequestCorrection:
		return "the correction of your personal data"
	case store.RequestRestriction:
		return "the restriction of the use of your personal data"
	case store.RequestObjection:
		return "us to stop using your personal data as you objected to (such as marketing, or its sale or sharing)"
	case store.RequestLiftRestriction:
		return "the lifting of the restriction of your personal data"
	case store.RequestAppeal:
		return "a review of our answer to your request (an appeal)"
	}
	return strings.ReplaceAll(string(t), "_", " ")
}

// Send renders kind with d and writes it to the outbox inside tx, to to.
func (s *Service) Send(ctx context.Context, tx store.Tx, kind Kind, j deadline.Jurisdiction, d Data, to, dedupKey string) (bool, error) {
	r, err := s.Templates.Render(kind, j, s.Lang, d)
	if err != nil {
		return false, err
	}
	_, inserted, err := s.Outbox.Enqueue(ctx, tx, mail.Message{
		RequestID: d.RequestID, Kind: string(kind), DedupKey: dedupKey, To: to,
		Subject: r.Subject, Text: r.Text, HTML: r.HTML,
	})
	return inserted, err
}

// NoticeMail implements notice.Mailer: it renders the recipient_notice
// message of n for the request's law and writes it to the outbox inside tx,
// to the recipient's address to, keyed by notice.MailDedupKey(n.ID). The
// message carries what the webhook notice carries (notice and request ids,
// the change, its date and legal basis), never the person's identifiers.
func (s *Service) NoticeMail(ctx context.Context, tx store.Tx, n store.RecipientNotice, to string) error {
	r, err := tx.GetRequest(ctx, n.RequestID)
	if err != nil {
		return err
	}
	d, j, err := s.Base(r)
	if err != nil {
		return err
	}
	d.NoticeID, d.Event, d.Basis, d.Recipient, d.OccurredAt = n.ID, strings.ReplaceAll(n.Event, "_", "-"), notice.Basis(n.Event), n.Recipient, n.CreatedAt
	rd, err := s.Templates.Render(RecipientNotice, j, s.Lang, d)
	if err != nil {
		return err
	}
	_, _, err = s.Outbox.Enqueue(ctx, tx, mail.Message{
		RequestID: n.RequestID, Kind: notice.MailKind, DedupKey: notice.MailDedupKey(n.ID), To: to,
		Subject: rd.Subject, Text: rd.Text, HTML: rd.HTML,
	})
	return err
}

// Milestone implements dsar.Messenger.
func (s *Service) Milestone(ctx context.Context, tx store.Tx, m dsar.Milestone) (bool, error) {
	if len(m.Identifiers.Emails) == 0 {
		return false, nil // nowhere to write to (filed by contact id or phone)
	}
	to := m.Identifiers.Emails[0]
	d, j, err := s.Base(m.Request)
	if err != nil {
		return false, err
	}
	var kind Kind
	switch m.Kind {
	case dsar.MilestoneAcknowledged:
		kind = Acknowledgement
		d.NeedsVerification = m.Request.State == store.StateReceived
	case dsar.MilestoneExtended:
		kind = Extension
	case dsar.MilestoneDenied:
		kind, d.DenialReason = Denial, m.Request.DenialReason
		if m.Request.Type == store.RequestCorrection && m.Request.DenialReason == dsar.DenyCorrectionAccurate {
			kind = CorrectionDenied
		}
	case dsar.MilestoneCompleted:
		switch m.Request.Type {
		case store.RequestAccess:
			kind = AccessCompleted
		case store.RequestErasure, store.RequestAccessErasure:
			kind = ErasureCompleted
		case store.RequestCorrection, store.RequestRestriction, store.RequestLiftRestriction, store.RequestObjection, store.RequestAppeal:
			kind = rightsKind[m.Request.Type]
			if err := rightsData(m, &d); err != nil {
				return false, err
			}
			return s.Send(ctx, tx, kind, j, d, to, m.Request.ID+"/"+string(kind))
		default:
			return false, nil // a type with no completion message: nothing rather than a wrong text
		}
		if err := s.completion(ctx, tx, m, to, &d); err != nil {
			return false, err
		}
		if m.Request.Type == store.RequestAccessErasure {
			// Both answers: the download first, then what was deleted.
			ad := d
			if _, err := s.Send(ctx, tx, AccessCompleted, j, ad, to, m.Request.ID+"/"+string(AccessCompleted)); err != nil {
				return false, err
			}
		}
	default:
		return false, nil
	}
	return s.Send(ctx, tx, kind, j, d, to, m.Request.ID+"/"+string(kind))
}

func (s *Service) completion(ctx context.Context, tx store.Tx, m dsar.Milestone, to string, d *Data) error {
	s.completionData(m, d)
	if m.Request.Type != store.RequestErasure && s.Downloads != nil {
		link, ok, err := s.Downloads.Link(ctx, tx, m.Request, to)
		if err != nil {
			return err
		}
		if ok {
			d.DownloadURL, d.ExpiresAt, d.DownloadUses = link.URL, link.ExpiresAt, link.Uses
		}
	}
	return nil
}

// completionData fills what a completion says without a download link.
func (s *Service) completionData(m dsar.Milestone, d *Data) {
	out := m.Outcome
	if out == nil && len(m.Request.Outcome) > 0 {
		var o dsar.Outcome
		if json.Unmarshal(m.Request.Outcome, &o) == nil {
			out = &o
		}
	}
	if out != nil {
		d.NothingFound = out.Result == "nothing_found"
		d.Deleted, d.Kept = Erased(*out)
	}
	d.RecoveryWindow = RecoveryWindow
	if dsar.CategoriesOnly(m.Request) {
		s.HigherLevel(d)
	}
	if m.Request.Type != store.RequestErasure {
		ttl := s.PackageTTL
		if ttl <= 0 {
			ttl = 7 * 24 * time.Hour
		}
		d.ExpiresAt = m.Request.CompletedAt.Add(ttl)
	}
}

// Compose renders the message a milestone owes the person for a channel
// other than e-mail (a reply in the Intercom conversation or ticket the
// request came from, package tagintake): the same kinds and texts as
// Milestone, with no download link (a link and its codes go to the verified
// address only; the access completion then says the copy comes through a
// secure channel), and for an access+erasure the erasure's completion only.
// ok is false for a milestone with no message. It writes nothing.
func (s *Service) Compose(m dsar.Milestone) (kind Kind, r Rendered, ok bool, err error) {
	d, j, err := s.Base(m.Request)
	if err != nil {
		return "", Rendered{}, false, err
	}
	switch m.Kind {
	case dsar.MilestoneAcknowledged:
		kind = Acknowledgement
		d.NeedsVerification = m.Request.State == store.StateReceived
	case dsar.MilestoneExtended:
		kind = Extension
	case dsar.MilestoneDenied:
		kind, d.DenialReason = Denial, m.Request.DenialReason
		if m.Request.Type == store.RequestCorrection && m.Request.DenialReason == dsar.DenyCorrectionAccurate {
			kind = CorrectionDenied
		}
	case dsar.MilestoneCompleted:
		switch m.Request.Type {
		case store.RequestAccess:
			kind = AccessCompleted
			s.completionData(m, &d)
		case store.RequestErasure, store.RequestAccessErasure:
			kind = ErasureCompleted
			s.completionData(m, &d)
		case store.RequestCorrection, store.RequestRestriction, store.RequestLiftRestriction, store.RequestObjection, store.RequestAppeal:
			kind = rightsKind[m.Request.Type]
			if err := rightsData(m, &d); err != nil {
				return "", Rendered{}, false, err
			}
		default:
			return "", Rendered{}, false, nil
		}
	default:
		return "", Rendered{}, false, nil
	}
	r, err = s.Templates.Render(kind, j, s.Lang, d)
	if err != nil {
		return "", Rendered{}, false, err
	}
	return kind, r, true, nil
}

// RecoveryWindow tells the person of Intercom's 7-day recovery window.
const RecoveryWindow = dsar.RecoveryWindowNotice + "; during that time it can be restored only at our request, and after it it is gone for good."

// deletedWords name the counts of an erasure's outcome as the person reads them.
var deletedWords = map[string]string{
	"contacts_deleted":      "Intercom contact records (profile, notes, tags, events and subscriptions)",
	"late_contacts_deleted": "Intercom contact records that appeared while we worked",
	"conversations_deleted": "Intercom conversations",
	"tickets_deleted":       "Intercom tickets",
	"parts_redacted":        "your messages in conversations shared with other people (removed)",
	"person_keys_destroyed": "our own encrypted copies of your data (their keys destroyed, so every copy, backups included, is unreadable)",
	"packages_deleted":      "earlier copies of your data prepared for you",
}

// Erased turns an erasure's outcome into what was deleted and what was kept,
// and why: counts and fixed sentences, never the data.
func Erased(o dsar.Outcome) (deleted []Count, kept []KeptItem) {
	for key, what := range deletedWords {
		if n := o.Counts[key]; n > 0 {
			deleted = append(deleted, Count{What: what, N: n})
		}
	}
	sort.Slice(deleted, func(a, b int) bool { return deleted[a].What < deleted[b].What })
	if n := o.Counts["conversations_shared_kept"]; n > 0 {
		kept = append(kept, KeptItem{What: "conversations you took part in with other people",
			Why: "they are also other people's records; your own messages in them were removed"})
	}
	suppressed := o.Counts["suppressed_email"] + o.Counts["suppressed_phone"] + o.Counts["suppressed_external_id"] +
		o.Counts["suppressed_contact_id"] + o.Counts["already_suppressed"]
	if suppressed > 0 {
		kept = append(kept, KeptItem{What: "a keyed fingerprint of the identifiers you gave (not the identifiers themselves)",
			Why: "so that your data is not collected again from Intercom; the law allows keeping it for this (CCPA Regulations §7022(e))"})
	}
	kept = append(kept, keptUnderBasis(o.Kept)...)
	for _, n := range o.Notices {
		if n.Code == dsar.NoticePackageKept.Code || n.Code == dsar.NoticeRequestKeyKept.Code {
			kept = append(kept, KeptItem{What: "the copy of your data prepared for you",
				Why: "until its download link expires, encrypted; then it is deleted"})
			break
		}
	}
	return deleted, kept
}

var rightsKind = map[store.RequestType]Kind{
	store.RequestCorrection:      CorrectionCompleted,
	store.RequestRestriction:     RestrictionCompleted,
	store.RequestLiftRestriction: RestrictionLifted,
	store.RequestObjection:       ObjectionCompleted,
	store.RequestAppeal:          AppealDecided,
}

// scopeWords are the scopes of an objection as the person reads them.
var scopeWords = map[string]string{
	dsar.ScopeMarketing:   "direct marketing: you are unsubscribed from our marketing e-mails and messages",
	dsar.ScopeSaleSharing: "sale and sharing of your personal information: we no longer sell or share it",
	dsar.ScopeSensitive:   "use of your sensitive personal information: we limit it to what is needed to provide the service you asked for",
	dsar.ScopeProcessing:  "processing based on our legitimate interests: it is marked stopped while we weigh your objection, and we will tell you the outcome",
}

// ScopeTexts turns an objection's scopes into sentences, in their order.
func ScopeTexts(scope []string) []ScopeText {
	out := make([]ScopeText, 0, len(scope))
	for _, sc := range scope {
		if w, ok := scopeWords[sc]; ok {
			out = append(out, ScopeText{Name: sc, What: w})
		}
	}
	return out
}

// keptUnderBasis tells the person which of their records a legal hold or an
// exception kept (GDPR Art. 17(3), CCPA §1798.105(d)) and on what basis, in the
// words of the request's law: one line per kind of record and basis, with how
// many and until when, never an id or the records' content. Conversations kept
// because other people took part in them are said by the shared count.
func keptUnderBasis(objs []dsar.KeptObject) []KeptItem {
	type key struct{ object, why, text, citation string }
	type group struct {
		n     int
		until time.Time
		open  bool // some kept until a hold is released
	}
	groups := map[key]*group{}
	var order []key
	for _, k := range objs {
		if k.Why == dsar.WhyShared {
			continue
		}
		gk := key{k.Object, k.Why, k.Text, k.Citation}
		g, ok := groups[gk]
		if !ok {
			g = &group{}
			groups[gk] = g
			order = append(order, gk)
		}
		g.n++
		if k.KeepUntil.IsZero() {
			g.open = true
		} else if k.KeepUntil.After(g.until) {
			g.until = k.KeepUntil
		}
	}
	var out []KeptItem
	for _, gk := range order {
		g := groups[gk]
		what := keptNoun(gk.object, g.n)
		if gk.why == dsar.WhyKeepsObject {
			what += " (kept with the records above: deleting it would delete them)"
		}
		why := gk.text
		if why == "" {
			why = "a legal obligation or legal claim requires us to keep it"
		}
		if gk.citation != "" {
			why += " (" + gk.citation + ")"
		}
		switch {
		case g.open:
			why += "; we delete it once that reason ends"
		case !g.until.IsZero():
			why += "; we delete it by " + g.until.UTC().Format("2 January 2006")
		}
		out = append(out, KeptItem{What: what, Why: why})
	}
	return out
}

// rightsData fills d from the outcome a completed correction, restriction,
// lift, objection or appeal keeps: field names, scopes, the decision; never
// a value.
func rightsData(m dsar.Milestone, d *Data) error {
	d.Recipients, d.LinkedID = m.Recipients, m.Request.LinkedRequestID
	if m.Request.Type == store.RequestAppeal {
		var o dsar.AppealOutcome
		if err := json.Unmarshal(m.Request.Outcome, &o); err != nil {
			return fmt.Errorf("messages: outcome of appeal %s: %w", m.Request.ID, err)
		}
		d.Reversed, d.DecisionReason = o.Decision == dsar.AppealReversed, o.Reason
		return nil
	}
	var o dsar.RightsOutcome
	if err := json.Unmarshal(m.Request.Outcome, &o); err != nil {
		return fmt.Errorf("messages: outcome of %s: %w", m.Request.ID, err)
	}
	d.NothingFound = o.Result == "nothing_found"
	for _, f := range o.Fields {
		d.Fields = append(d.Fields, dsar.ShownField(f))
	}
	d.Scopes = ScopeTexts(o.Scope)
	return nil
}

// keptNoun names n records of a kind for the person.
func keptNoun(object string, n int) string {
	noun := map[string][2]string{
		"ticket":       {"support ticket", "support tickets"},
		"conversation": {"conversation", "conversations"},
		"contact":      {"customer profile", "customer profiles"},
	}[object]
	if noun[0] == "" {
		noun = [2]string{"record", "records"}
	}
	if n == 1 {
		return "1 " + noun[0]
	}
	return fmt.Sprintf("%d %s", n, noun[1])
}
