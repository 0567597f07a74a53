package retention

import (
	"strings"
	"testing"
)

func TestDescribeInWords(t *testing.T) {
	p, err := Parse([]byte("retention:\n  contact_cache: 14d\n  conversation_cache: 3mo\n  audit: 10y\n  export_files: off\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := p.Describe()
	for _, want := range []string{"Copies of your Intercom profile kept in our own systems: 14 days", "conversations kept in our own systems: 3 months",
		"records of your requests and of what we did to answer them: 10 years", "bulk exports of messaging statistics: no automatic limit"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q missing from %q", want, got)
		}
	}
	if (Age{N: 1, Unit: Days}).Words() != "1 day" || (Age{N: 36, Unit: Hours}).Words() != "36 hours" {
		t.Error("Words")
	}
}
