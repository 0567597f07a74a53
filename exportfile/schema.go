package exportfile

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// Kind is the statistic a CSV file holds, from its name
// (receipts_YYYYMMDD_hhmmss.csv is KindReceipts).
type Kind string

// Kinds. Only the receipts file's columns are documented (OpenAPI 2.16
// data_export_csv); the other statistics files are named in the v2.6
// download docs ("one for each message statistic") without columns.
const (
	KindReceipts             Kind = "receipts"
	KindOpens                Kind = "opens"
	KindClicks               Kind = "clicks"
	KindReplies              Kind = "replies"
	KindCompletions          Kind = "completions"
	KindDismissals           Kind = "dismissals"
	KindUnsubscribes         Kind = "unsubscribes"
	KindHardBounces          Kind = "hard_bounces"
	KindGoalSuccesses        Kind = "goal_successes"
	KindSeriesCompletions    Kind = "series_completions"
	KindSeriesDisengagements Kind = "series_disengagements"
	KindSeriesExits          Kind = "series_exits"
	KindUnknown              Kind = "unknown"
)

var statisticKinds = []Kind{KindOpens, KindClicks, KindReplies, KindCompletions, KindDismissals, KindUnsubscribes,
	KindHardBounces, KindGoalSuccesses, KindSeriesCompletions, KindSeriesDisengagements, KindSeriesExits}

// Column names of the receipts file, in the documented order
// (intercom-api-notes §10; OpenAPI data_export_csv). first_dismisall is
// misspelt in Intercom's own schema and kept so.
const (
	ColUserID                   = "user_id"
	ColUserExternalID           = "user_external_id"
	ColCompanyID                = "company_id"
	ColEmail                    = "email"
	ColName                     = "name"
	ColRulesetID                = "ruleset_id"
	ColContentID                = "content_id"
	ColContentType              = "content_type"
	ColContentTitle             = "content_title"
	ColRulesetVersionID         = "ruleset_version_id"
	ColReceiptID                = "receipt_id"
	ColReceivedAt               = "received_at"
	ColSeriesID                 = "series_id"
	ColSeriesTitle              = "series_title"
	ColNodeID                   = "node_id"
	ColFirstReply               = "first_reply"
	ColFirstCompletion          = "first_completion"
	ColFirstSeriesCompletion    = "first_series_completion"
	ColFirstSeriesDisengagement = "first_series_disengagement"
	ColFirstSeriesExit          = "first_series_exit"
	ColFirstGoalSuccess         = "first_goal_success"
	ColFirstOpen                = "first_open"
	ColFirstClick               = "first_click"
	ColFirstDismissal           = "first_dismisall" // sic
	ColFirstUnsubscribe         = "first_unsubscribe"
	ColFirstHardBounce          = "first_hard_bounce"
)

// ReceiptColumns are the documented columns of the receipts file, in order.
var ReceiptColumns = []string{
	ColUserID, ColUserExternalID, ColCompanyID, ColEmail, ColName, ColRulesetID, ColContentID,
	ColContentType, ColContentTitle, ColRulesetVersionID, ColReceiptID, ColReceivedAt, ColSeriesID,
	ColSeriesTitle, ColNodeID, ColFirstReply, ColFirstCompletion, ColFirstSeriesCompletion,
	ColFirstSeriesDisengagement, ColFirstSeriesExit, ColFirstGoalSuccess, ColFirstOpen, ColFirstClick,
	ColFirstDismissal, ColFirstUnsubscribe, ColFirstHardBounce,
}

// Schema says which columns a kind of file must have and which it may
// have. A missing Required column is an error; a missing Known column is a
// warning; a column in neither list is kept and reported as a warning.
type Schema struct {
	Required []string // columns that must be present
	Known    []string // columns that are expected (Required included)
}

// SchemaFor returns the schema applied to a kind of file.
//
//   - Receipts: all documented columns are known; user_id, email,
//     receipt_id, content_id and received_at are required (identity, the
//     receipt key, what was sent and when).
//   - Other statistics files: their columns are not documented. The spec
//     says receipt_id "will be included with any related stats in other
//     files", so receipt_id is required; the receipts columns are known
//     (assumed shared: an assumption, reported as warnings if wrong).
//   - Unknown files: nothing required, nothing known.
func SchemaFor(k Kind) Schema {
	switch {
	case k == KindReceipts:
		return Schema{Required: []string{ColUserID, ColEmail, ColReceiptID, ColContentID, ColReceivedAt}, Known: ReceiptColumns}
	case slices.Contains(statisticKinds, k):
		return Schema{Required: []string{ColReceiptID}, Known: ReceiptColumns}
	}
	return Schema{}
}

var stampSuffix = regexp.MustCompile(`[_-]\d{8}([_-]\d{6})?$`)

// KindOf derives a file's kind from its name: the base name, lower-cased,
// without ".csv" and without a trailing _YYYYMMDD_hhmmss stamp.
func KindOf(name string) Kind {
	base := strings.ToLower(path.Base(strings.ReplaceAll(name, "\\", "/")))
	base = strings.TrimSuffix(base, ".csv")
	base = stampSuffix.ReplaceAllString(base, "")
	k := Kind(base)
	if k == KindReceipts || slices.Contains(statisticKinds, k) {
		return k
	}
	// Singular forms ("receipt", "open", "click") are accepted too.
	for _, c := range append([]Kind{KindReceipts}, statisticKinds...) {
		if string(c) == base+"s" || string(c) == base+"es" {
			return c
		}
	}
	return KindUnknown
}

// looksLikeReceipts reports whether a header of an unrecognised file has
// every required receipts column (the single CSV the legacy endpoint
// serves, message-data-export.<id>.csv, is a receipts file).
func looksLikeReceipts(header []string) bool {
	for _, c := range SchemaFor(KindReceipts).Required {
		if !slices.Contains(header, c) {
			return false
		}
	}
	return true
}
