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
