package config

import (
	"errors"
	"strings"
	"testing"
)

func TestRightsSection(t *testing.T) {
	c, err := Parse("t.yaml", strings.NewReader("rights:\n  restriction_tag: \"17\"\n  do_not_sell_tag: \"18\"\n  marketing_subscriptions: [\"37\", \"38\"]\n"))
	if err != nil || c.Rights.RestrictionTag != "17" || c.Rights.DoNotSellTag != "18" || len(c.Rights.MarketingSubscriptions) != 2 || c.Rights.ObjectionTag != "" {
		t.Fatalf("rights: %+v, %v", c.Rights, err)
	}
	if _, err := Parse("t.yaml", strings.NewReader("rights:\n  unknown_key: 1\n")); err == nil {
		t.Error("an unknown key of rights was accepted")
	}
	for _, bad := range []string{
		"rights:\n  restriction_tag: \"a b\"\n",
		"rights:\n  objection_tag: \"x/../y\"\n",
		"rights:\n  marketing_subscriptions: [\"\"]\n",
	} {
		_, err := Parse("t.yaml", strings.NewReader(bad))
		var ce *Error
		if !errors.As(err, &ce) || !strings.HasPrefix(ce.Field, "rights.") {
			t.Errorf("%q: %v, want a refusal naming the rights field", bad, err)
		}
	}
}

func TestOptOutNoticesOnlyWhenNamed(t *testing.T) {
	c, err := Parse("t.yaml", strings.NewReader("recipients:\n  - name: CRM\n    role: processor\n  - name: Ads\n    role: third_party\n    notify:\n      events: [opt_out, erasure]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Recipients[0].NotifiedOf("opt_out") || !c.Recipients[0].NotifiedOf("restriction") {
		t.Errorf("default events %v", c.Recipients[0].Notify.Events)
	}
	if !c.Recipients[1].NotifiedOf("opt_out") || c.Recipients[1].NotifiedOf("correction") {
		t.Errorf("named events %v", c.Recipients[1].Notify.Events)
	}
}
