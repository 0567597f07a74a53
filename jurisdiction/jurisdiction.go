// Package jurisdiction holds, as data, what each privacy law asks of an
// answer to a person's request: the rights it grants, the clock it runs on
// (from package deadline), how sure the business must be of the person's
// identity, what an access answer must contain, the authority a person may
// complain to, and the sentences the package and the messages to the person
// use. One row per law; [For] returns a row and [All] every row.
//
// The rows are drafted from the statutes named in each row's Sources; they
// are the one place to correct a law's text, and a deployment overrides the
// sentences it wants through its configuration. Nothing here is legal
// advice: counsel should review a row before the product answers requests
// under it.
package jurisdiction

import (
	"errors"
	"fmt"
	"slices"

	"github.com/intercom-privacy/intercom-privacy/deadline"
)

// Right is a right a law grants a person over their data.
type Right string

// The rights the laws grant.
const (
	Access            Right = "access"               // confirm processing and get a copy (GDPR Art. 15; CCPA right to know)
	Portability       Right = "portability"          // the data provided, in a machine-readable form
	Deletion          Right = "deletion"             // erasure
	Correction        Right = "correction"           // rectification of inaccurate data
	Restriction       Right = "restriction"          // restriction of processing (GDPR Art. 18)
	Objection         Right = "objection"            // object to processing, including direct marketing (GDPR Art. 21)
	OptOutSale        Right = "opt_out_sale"         // opt out of the sale or sharing of personal data
	OptOutTargetedAds Right = "opt_out_targeted_ads" // opt out of targeted (cross-context behavioural) advertising
	OptOutProfiling   Right = "opt_out_profiling"    // opt out of profiling with legal or similarly significant effects
	LimitSensitive    Right = "limit_sensitive"      // limit the use of sensitive personal information (CCPA)
	AutomatedDecision Right = "automated_decision"   // not to be subject to solely automated decisions (GDPR Art. 22)
	NonDiscrimination Right = "non_discrimination"   // not to be treated differently for using a right
	Appeal            Right = "appeal"               // appeal a refusal to the business
	WithdrawConsent   Right = "withdraw_consent"     // withdraw consent at any time
)

// RightText is one right as the person reads it, with its citation.
type RightText struct {
	Right    Right  `json:"right"`
	Text     string `json:"text"`
	Citation string `json:"citation"`
}

// Authority is where a person may complain about how their request was
// handled.
type Authority struct {
	Name string `json:"name"`
	// URL is the authority's complaint page, where a stable one is known.
	URL string `json:"url,omitempty"`
	// Complaint is the sentence that tells the person of the route.
	Complaint string `json:"complaint"`
}

// Verification is the identity standard the law sets for each kind of
// request.
type Verification struct {
	// Categories is the standard for an answer giving categories only and
	// for a deletion.
	Categories string `json:"categories"`
	// Specific is the standard for specific pieces of personal data.
	Specific string `json:"specific"`
	// OptOut is the standard for an opt-out (often: none beyond what is
	// reasonable).
	OptOut string `json:"opt_out"`
	// Declaration is true when specific pieces need a signed declaration
	// under penalty of perjury (CCPA §7062(c)).
	Declaration bool `json:"declaration"`
	// Tiered is true when the law sets a lower standard for the categories
	// of data than for the specific pieces (CCPA Regs §7062, §7024): an
	// access request verified to the lower standard only gets the
	// categories-only answer.
	Tiered bool `json:"tiered"`
}

// Info is one law's row.
type Info struct {
	// Clock is the law's timetable (answer, extension, acknowledgement,
	// appeal), from package deadline.
	Clock deadline.Rules `json:"clock"`
	// Region is where the law applies, as a person reads it.
	Region string `json:"region"`
	// AccessTitle heads the access report ("Your personal data: GDPR
	// Article 15").
	AccessTitle string `json:"access_title"`
	// AccessBasis cites the right an access answer is given under.
	AccessBasis string `json:"access_basis"`
	// ErasureBasis cites the right an erasure is carried out under.
	ErasureBasis string `json:"erasure_basis"`
	// AccessContents is what an access answer must contain.
	AccessContents []string `json:"access_contents"`
	// Rights are the rights the person has under the law.
	Rights []RightText `json:"rights"`
	// Verification is the identity standard.
	Verification Verification `json:"verification"`
	// Authority is the complaint route.
	Authority Authority `json:"authority"`
	// RecordKept tells the person that a record of the request is kept,
	// and why (CCPA §7022(e); GDPR accountability, Art. 5(2)).
	RecordKept string `json:"record_kept"`
	// Sources cite the statutes the row is drafted from.
	Sources []string `json:"sources"`
}

// Has reports whether the law grants right r.
func (i Info) Has(r Right) bool {
	return slices.ContainsFunc(i.Rights, func(t RightText) bool { return t.Right == r })
}

// RightsText returns the rights as sentences for the person, in order.
func (i Info) RightsText() []string {
	out := make([]string, len(i.Rights))
	for k, r := range i.Rights {
		out[k] = r.Text + " (" + r.Citation + ")"
	}
	return out
}

// ErrUnknown is returned for a jurisdiction without a row.
var ErrUnknown = errors.New("jurisdiction: unknown jurisdiction")

// For returns the row of j.
func For(j deadline.Jurisdiction) (Info, error) {
	for _, i := range table() {
		if i.Clock.Jurisdiction == j {
			return i, nil
		}
	}
	return Info{}, fmt.Errorf("%w %q", ErrUnknown, shorten(string(j)))
}

// All returns every row, in the order of deadline.AllRules.
func All() []Info { return table() }

func shorten(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
