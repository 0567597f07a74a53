package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/exportfile"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// exportedEmails runs an export and returns the email column of every row
// written, and the rows the manifest says were left out.
func exportedEmails(t *testing.T, h *harness) (emails []string, leftOut int64) {
	t.Helper()
	res, err := h.service(h.app).Run(context.Background(), h.params(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkDir(t, res)
	col := slices.Index(exportfile.ReceiptColumns, exportfile.ColEmail)
	for _, f := range readManifest(t, res.Dir).Files {
		leftOut += f.LeftOut
		data, err := os.ReadFile(filepath.Join(res.Dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[1:] {
			emails = append(emails, r[col])
		}
	}
	return emails, leftOut
}

// TestExportLeavesOutLimitedPeople: a person whose processing is restricted
// (or who objected) is left out of the files an export writes; everyone else
// is written as before.
func TestExportLeavesOutLimitedPeople(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{Seed: 11})
	base, _ := exportedEmails(t, h)
	if len(base) == 0 || base[0] == "" {
		t.Fatal("the baseline export has no rows with an email")
	}
	who := base[0]
	n := 0
	for _, e := range base {
		if strings.EqualFold(e, who) {
			n++
		}
	}
	ref, err := h.app.Vault.BlindIndex(vault.KindEmail, who)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Store.AddLimits(context.Background(), []store.ProcessingLimit{
		{Kind: store.LimitRestriction, Ref: ref, RefKind: "email", RequestID: "req_r"}}); err != nil {
		t.Fatal(err)
	}
	// The same range exported again, now with the person restricted.
	got, leftOut := exportedEmails(t, h)
	if slices.ContainsFunc(got, func(e string) bool { return strings.EqualFold(e, who) }) {
		t.Error("the restricted person's rows were written")
	}
	if leftOut != int64(n) || len(got) != len(base)-n {
		t.Errorf("left out %d rows, wrote %d; want %d left out of %d", leftOut, len(got), n, len(base))
	}
}
