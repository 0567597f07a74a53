package export

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/exportfile"
)

// benchDownload builds a gzip CSV of n receipts rows, like Intercom's download.
func benchDownload(b *testing.B, n int) (gz []byte, csvBytes int) {
	b.Helper()
	var raw bytes.Buffer
	w := csv.NewWriter(&raw)
	w.Write(exportfile.ReceiptColumns)
	row := make([]string, len(exportfile.ReceiptColumns))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for i := range n {
		for j := range row {
			row[j] = ""
		}
		id := strconv.Itoa(i)
		row[0], row[1], row[2], row[3], row[4] = "6f1c"+id, "ext-"+id, "-1", "person"+id+"@example.com", "Person Number "+id
		row[5], row[6], row[7], row[8], row[9] = "3000", "8000", "email", "Your November update", "500"
		row[10], row[11], row[12] = strconv.Itoa(1_000_000+i), strconv.FormatInt(base+int64(i), 10), "-1"
		row[21] = strconv.FormatInt(base+int64(i)+600, 10)
		w.Write(row)
	}
	w.Flush()
	var out bytes.Buffer
	z := gzip.NewWriter(&out)
	z.Name = "receipts_20260101_000000.csv"
	z.Write(raw.Bytes())
	z.Close()
	return out.Bytes(), raw.Len()
}

// BenchmarkDecode measures the download pipeline after the network: gunzip, CSV
// parse and check of every row (exportfile), re-encode, and write to a directory
// (staging, fsync, rename) or seal with the vault (1 MiB segments) into a
// temporary file.
func BenchmarkDecode(b *testing.B) {
	const rows = 100_000
	gz, size := benchDownload(b, rows)
	v := testVault(b)
	for _, mode := range []string{"dir", "keep"} {
		b.Run(fmt.Sprintf("%s/rows=%d", mode, rows), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				a, err := exportfile.Open(bytes.NewReader(gz))
				if err != nil {
					b.Fatal(err)
				}
				var s sink
				var ds *dirSink
				var ks *keepSink
				if mode == "dir" {
					ds, err = newDirSink(b.TempDir(), "job"+strconv.Itoa(i))
					if err != nil {
						b.Fatal(err)
					}
					s = ds
				} else {
					ks = newKeepSink(context.Background(), v, "export:bench", "bench", b.TempDir())
					s = ks
				}
				infos, _, err := decode(context.Background(), a, s, nil, nil)
				if err != nil || infos[0].Rows != rows {
					b.Fatalf("%v %+v", err, infos)
				}
				a.Close()
				if ds != nil {
					if _, err := ds.commit(Manifest{JobIdentifier: "job", Files: infos}); err != nil {
						b.Fatal(err)
					}
				} else {
					ks.cleanup()
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
