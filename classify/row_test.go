package classify

import (
	"errors"
	"testing"
)

func TestRedactRow(t *testing.T) {
	r := mustNew(t, Options{})
	header := []string{"user_id", "email", "name", "content_title", "received_at", "surprise_column", "comment"}
	row := []string{"u-1", "jane@example.com", "Jane Roe", "Welcome jane@example.com", "1700000000", "4111 1111 1111 1111", "x\xff"}
	orig := append([]string(nil), row...)
	var counts Counts
	got, err := r.RedactRow(header, row, KindDataExportCSV, nil, &counts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"u-1", "[EMAIL]", "[NAME]", "Welcome [EMAIL]", "1700000000", "[CARD]", "x\uFFFD"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("column %s = %q, want %q", header[i], got[i], want[i])
		}
	}
	for i := range row {
		if row[i] != orig[i] {
			t.Errorf("input row modified")
		}
	}
	if counts.Fields[LabelEmail] != 1 || counts.Total() < 4 {
		t.Errorf("counts %+v", counts)
	}
	if _, err := r.RedactRow(header, row[:2], KindDataExportCSV, nil, nil); !errors.Is(err, ErrRowShape) {
		t.Errorf("shape: %v", err)
	}
}
