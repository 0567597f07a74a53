package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/audit/audittest"
)

// TestExportIsCheckableByAnAuditor checks an export the way an auditor
// would, with nothing but the file, SHA-256 and Ed25519: every record's hash
// from the exact bytes of its "record" value, every prev link, and every
// checkpoint signature against the key in the header.
func TestExportIsCheckableByAnAuditor(t *testing.T) {
	m, s := chainOf(t, 12, 5) // checkpoints at 5, 10, 12
	var out bytes.Buffer
	keys := append(audittest.NewSigner("retired").Keyring(), s.Keyring()...)
	if err := audit.Export(context.Background(), m, &out, keys); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	if !sc.Scan() {
		t.Fatal("empty export")
	}
	var hdr audit.ExportHeader
	if err := json.Unmarshal(sc.Bytes(), &hdr); err != nil {
		t.Fatal(err)
	}
	if hdr.Type != "header" || hdr.Format != audit.ExportFormat || len(hdr.Keys) != 2 {
		t.Fatalf("header %+v", hdr)
	}
	if _, err := time.Parse(audit.TimeLayout, hdr.ExportedAt); err != nil {
		t.Fatalf("exported_at: %v", err)
	}
	pub := map[string]ed25519.PublicKey{}
	for _, k := range hdr.Keys {
		b, err := base64.StdEncoding.DecodeString(k.PublicKey)
		if err != nil || k.Algorithm != "Ed25519" || len(b) != ed25519.PublicKeySize {
			t.Fatalf("key %+v", k)
		}
		pub[k.KeyID] = b
	}
	var (
		prevHash  string
		lastSeq   int64
		hashes    = map[int64]string{}
		nrec, ncp int
	)
	for sc.Scan() {
		var line struct {
			Type   string          `json:"type"`
			Seq    int64           `json:"seq"`
			Hash   string          `json:"hash"`
			Record json.RawMessage `json:"record"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		switch line.Type {
		case "record":
			nrec++
			sum := sha256.Sum256(append([]byte("intercom-privacy audit record v1\n"), line.Record...))
			if hex.EncodeToString(sum[:]) != line.Hash {
				t.Fatalf("record %d: hash does not match its bytes", line.Seq)
			}
			var body struct {
				Seq  int64  `json:"seq"`
				Prev string `json:"prev"`
			}
			if err := json.Unmarshal(line.Record, &body); err != nil || body.Seq != line.Seq || body.Prev != prevHash || line.Seq != lastSeq+1 {
				t.Fatalf("record %d: seq/prev link broken (%v)", line.Seq, err)
			}
			prevHash, lastSeq = line.Hash, line.Seq
			hashes[line.Seq] = line.Hash
		case "checkpoint":
			ncp++
			var cp audit.ExportCheckpoint
			if err := json.Unmarshal(sc.Bytes(), &cp); err != nil {
				t.Fatal(err)
			}
			if cp.Seq != lastSeq || hashes[cp.Seq] != cp.Hash {
				t.Fatalf("checkpoint %d not right after its record", cp.Seq)
			}
			msg := `intercom-privacy audit checkpoint v1` + "\n" +
				`{"hash":"` + cp.Hash + `","key_id":"` + cp.KeyID + `","seq":` + itoa(cp.Seq) + `,"time":"` + cp.Time + `"}`
			sig, _ := base64.StdEncoding.DecodeString(cp.Signature)
			if !ed25519.Verify(pub[cp.KeyID], []byte(msg), sig) {
				t.Fatalf("checkpoint %d: signature does not verify", cp.Seq)
			}
		default:
			t.Fatalf("unexpected line type %q", line.Type)
		}
	}
	if nrec != 12 || ncp != 3 {
		t.Fatalf("%d records, %d checkpoints", nrec, ncp)
	}
	if strings.Contains(out.String(), "PRIVATE") {
		t.Fatal("export mentions a private key")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func exportOf(t testing.TB, m *audit.MemoryLog, keys audit.Keyring) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := audit.Export(context.Background(), m, &out, keys); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestVerifyExport: an export verifies on its own, with the same report as
// the store it came from, and edits to the file are detected.
func TestVerifyExport(t *testing.T) {
	ctx := context.Background()
	m, s := chainOf(t, 30, 10)
	want, _ := audit.Verify(ctx, m, s.Keyring())
	data := exportOf(t, m, s.Keyring())

	f, err := audit.OpenExport(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := f.Keyring()
	if err != nil || len(keys) != 1 || keys[0].KeyID != s.ID {
		t.Fatalf("header keys %v, %v", keys, err)
	}
	got, err := audit.Verify(ctx, f, s.Keyring())
	if err != nil || !got.OK() || got.Records != want.Records || got.LastCheckpoint != want.LastCheckpoint ||
		!bytes.Equal(got.LastHash, want.LastHash) || got.Checkpoints != want.Checkpoints {
		t.Fatalf("export verifies as %+v (%v), store as %+v", got, err, want)
	}

	edits := map[string]struct {
		from, to string
		kind     audit.BreakKind
	}{
		"record body":   {`"outcome":"success","prev"`, `"outcome":"failure","prev"`, audit.Edited},
		"record line":   {"{\"type\":\"record\",\"seq\":5,", "{\"type\":\"skipped\",\"seq\":5,", audit.Deleted},
		"checkpoint id": {`"key_id":"` + s.ID + `","signature"`, `"key_id":"other","signature"`, audit.BadSignature},
	}
	for name, e := range edits {
		bad := bytes.Replace(data, []byte(e.from), []byte(e.to), 1)
		if bytes.Equal(bad, data) {
			t.Fatalf("%s: edit did not apply", name)
		}
		f, err := audit.OpenExport(bytes.NewReader(bad), int64(len(bad)))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Verify(ctx, f, s.Keyring())
		if err != nil || rep.Break == nil || rep.Break.Kind != e.kind {
			t.Errorf("%s: report %+v, %v; want %s", name, rep.Break, err, e.kind)
		}
	}
	// Cutting the file drops the later checkpoints with the records: from
	// the file alone it is a shorter chain with an unsigned tail. (Known
	// limit: the auditor compares LastSeq and LastHash with the head they
	// obtained separately, e.g. from `audit verify`.)
	cut := data[:bytes.Index(data, []byte(`{"type":"record","seq":25,`))]
	f, _ = audit.OpenExport(bytes.NewReader(cut), int64(len(cut)))
	if rep, _ := audit.Verify(ctx, f, s.Keyring()); !rep.OK() || rep.LastSeq != 24 || rep.Unsigned != 4 || bytes.Equal(rep.LastHash, want.LastHash) {
		t.Errorf("truncated export: %+v", rep)
	}
	// Not an export at all.
	for _, junk := range []string{"", "hello\n", `{"type":"header","format":"something-else"}` + "\n"} {
		if _, err := audit.OpenExport(strings.NewReader(junk), int64(len(junk))); !errors.Is(err, audit.ErrExportFormat) {
			t.Errorf("OpenExport(%q) = %v", junk, err)
		}
	}
}

// FuzzVerifyExport: whatever the file holds, OpenExport and Verify never
// panic, and a file that differs from a real export in a record or
// checkpoint line never verifies as the same chain.
func FuzzVerifyExport(f *testing.F) {
	// A deterministic chain (fixed clock), so every fuzz worker process
	// builds the same bytes.
	s := audittest.NewSigner("verify")
	c, err := audit.NewChain(s, audit.Options{CheckpointEvery: 3, Checker: &audit.StrictChecker{},
		Now: func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		f.Fatal(err)
	}
	m := audit.NewMemoryLog()
	b := audittest.Backend{Reader: m, Update: m.Update}
	audittest.AppendN(f, b, c, 0, 8)
	audittest.Checkpoint(f, b, c)
	data := exportOf(f, m, s.Keyring())
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte(`{"type":"header","format":"intercom-privacy-audit-export/v1","keys":[]}` + "\n" + `{"type":"record","seq":1,"hash":"zz","record":"x"}`))
	keys := s.Keyring()
	f.Fuzz(func(t *testing.T, file []byte) {
		ef, err := audit.OpenExport(bytes.NewReader(file), int64(len(file)))
		if err != nil {
			return
		}
		_, _ = ef.Keyring()
		rep, err := audit.Verify(context.Background(), ef, keys)
		if err == nil && rep.OK() && rep.LastCheckpoint == 8 && rep.LastSeq == 8 && !bytes.Equal(file, data) {
			// Same signed chain from a different file: only formatting
			// outside the signed bytes may differ (e.g. the header).
			if !sameSignedLines(file, data) {
				t.Fatalf("a modified export verified as the original chain")
			}
		}
	})
}

// sameSignedLines compares the record and checkpoint lines of two exports.
func sameSignedLines(a, b []byte) bool {
	pick := func(d []byte) [][]byte {
		var out [][]byte
		for _, l := range bytes.Split(d, []byte("\n")) {
			if bytes.HasPrefix(l, []byte(`{"type":"record"`)) {
				var r struct {
					Record json.RawMessage `json:"record"`
				}
				_ = json.Unmarshal(l, &r)
				out = append(out, r.Record)
			}
		}
		return out
	}
	pa, pb := pick(a), pick(b)
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		if !bytes.Equal(pa[i], pb[i]) {
			return false
		}
	}
	return true
}
