package retention

import (
	"fmt"
	"strings"
)

// Words writes the age for people: "30 days", "7 years"; for Off, "no automatic
// limit".
func (a Age) Words() string {
	if a.IsOff() {
		return "no automatic limit"
	}
	unit := map[Unit]string{Hours: "hour", Days: "day", Weeks: "week", Months: "month", Years: "year"}[a.Unit]
	if unit == "" {
		return a.String()
	}
	if a.N != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s", a.N, unit)
}

// categoryWords names each category for the person an access package answers.
var categoryWords = []struct {
	c    Category
	what string
}{
	{ContactCache, "copies of your Intercom profile kept in our own systems"},
	{ConversationCache, "copies of your conversations kept in our own systems"},
	{WebhookEvents, "notifications of changes received from Intercom"},
	{AccessPackages, "copies of your data prepared for you, like this one"},
	{ExportFiles, "bulk exports of messaging statistics"},
	{Audit, "records of your requests and of what we did to answer them"},
	{RequestRecords, "the files of your requests themselves, without a copy of your data"},
	{SuppressionList, "a keyed fingerprint of your identifiers after an erasure, so your data is not collected again"},
}

// Describe writes the policy's periods as one paragraph for people: "Copies of
// your Intercom profile kept in our own systems: 30 days; ...".
func (p Policy) Describe() string {
	parts := make([]string, 0, len(categoryWords))
	for _, cw := range categoryWords {
		if _, ok := p.ages[cw.c]; !ok {
			continue
		}
		parts = append(parts, cw.what+": "+p.Age(cw.c).Words())
	}
	if len(parts) == 0 {
		return ""
	}
	s := strings.Join(parts, "; ") + "."
	return strings.ToUpper(s[:1]) + s[1:]
}
