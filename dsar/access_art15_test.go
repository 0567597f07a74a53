package dsar_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// TestAccessRefusedWithoutControllerOrDPO: a package with the placeholder
// controller or without a DPO contact is refused, naming the settings to add.
func TestAccessRefusedWithoutControllerOrDPO(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1})
	h.app.DSAR.Config = config.Default()
	r := file(t, h, store.RequestAccess, personIdentifiers(p))
	err := h.app.DSAR.Run(ctx, r.ID)
	var art *dsar.Art15Error
	if !errors.As(err, &art) || !errors.Is(err, dsar.ErrArt15Incomplete) ||
		!slices.Equal(art.Missing, []string{"access.controller", "access.contact_dpo"}) ||
		!strings.Contains(err.Error(), "set access.controller and access.contact_dpo") {
		t.Fatalf("run with the placeholder controller: %v", err)
	}
	if _, err := h.app.DSAR.WritePackage(ctx, r.ID, &bytes.Buffer{}); !errors.Is(err, dsar.ErrNoPackage) {
		t.Fatalf("a package was stored: %v", err)
	}
	cfg := config.Default()
	cfg.Access.Controller = "Example Trading Ltd"
	h.app.DSAR.Config = cfg
	if err := h.app.DSAR.Run(ctx, r.ID); !errors.As(err, &art) || !slices.Equal(art.Missing, []string{"access.contact_dpo"}) {
		t.Fatalf("run without a DPO contact: %v", err)
	}
	cfg.Access.ContactDPO = "dpo@example-trading.test"
	h.app.DSAR.RetentionText = retention.Default().Describe()
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := h.app.DSAR.WritePackage(ctx, r.ID, &out); err != nil {
		t.Fatal(err)
	}
	u := unpack(t, out.Bytes())
	ret := u.data.Supplementary.Retention
	if !strings.Contains(ret, "kept in our own systems: 30 days") || !strings.Contains(ret, "records of your requests") {
		t.Errorf("retention is not the policy in words: %q", ret)
	}
	if u.notice(dsar.NoticeArchivedByID.Code) {
		t.Error("the package opens with an operator's note about archived contacts")
	}
	report := string(u.files["report.html"])
	for _, want := range []string{"Example Trading Ltd", "dpo@example-trading.test"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report does not show %q", want)
		}
	}
}
