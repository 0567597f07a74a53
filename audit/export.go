package audit

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strconv"
	"time"
)

// ExportFormat names the export format in its header line.
const ExportFormat = "intercom-privacy-audit-export/v1"

// ExportHeader is the first line of an export.
type ExportHeader struct {
	Type       string      `json:"type"` // "header"
	Format     string      `json:"format"`
	ExportedAt string      `json:"exported_at"`
	Keys       []ExportKey `json:"keys"`
	// RecordHash and CheckpointSignature say, for the auditor, how to
	// recompute a record's hash and check a checkpoint's signature.
	RecordHash          string `json:"record_hash"`
	CheckpointSignature string `json:"checkpoint_signature"`
}

// ExportKey is one public key in an export header.
type ExportKey struct {
	KeyID     string `json:"key_id"`
	Algorithm string `json:"algorithm"`  // "Ed25519"
	PublicKey string `json:"public_key"` // standard base64 of the 32-byte key
}

// ExportCheckpoint is a checkpoint line of an export.
type ExportCheckpoint struct {
	Type      string `json:"type"` // "checkpoint"
	Seq       int64  `json:"seq"`
	Hash      string `json:"hash"` // hex
	Time      string `json:"time"` // TimeLayout
	KeyID     string `json:"key_id"`
	Signature string `json:"signature"` // standard base64
}

const (
	recordHashHow = `SHA-256("intercom-privacy audit record v1\n" || the exact bytes of the "record" value, which are canonical: compact JSON, keys sorted, as "jq -cjS .record" prints them); "prev" in a record is the hash of the record before it`
	checkpointHow = `Ed25519 (RFC 8032) over "intercom-privacy audit checkpoint v1\n" || {"hash":"<hex>","key_id":"<key_id>","seq":<seq>,"time":"<time>"}, keys in that order, no spaces; the checkpoint's hash must equal the hash of the record with its seq`
)

// Export writes the chain as JSON lines for an auditor: first an
// ExportHeader with the public keys (base64) and how to check hashes and
// signatures, then, in sequence order, one line per record
//
//	{"type":"record","seq":N,"hash":"<hex>","record":<canonical body>}
//
// each followed by the ExportCheckpoint lines of its seq. The record value is
// the stored body byte for byte, so its hash can be recomputed from the line.
// Export does not verify; run Verify (or `audit verify`) for that. Records
// hold no personal data, so the export holds none either.
func Export(ctx context.Context, r Reader, w io.Writer, keys Keyring) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	hdr := ExportHeader{
		Type: "header", Format: ExportFormat, ExportedAt: normTime(time.Now()).Format(TimeLayout),
		Keys:       make([]ExportKey, 0, len(keys)),
		RecordHash: recordHashHow, CheckpointSignature: checkpointHow,
	}
	for _, k := range keys {
		hdr.Keys = append(hdr.Keys, ExportKey{KeyID: k.KeyID, Algorithm: "Ed25519", PublicKey: base64.StdEncoding.EncodeToString(k.Key)})
	}
	if err := writeJSONLine(bw, hdr); err != nil {
		return err
	}
	nextCP, stopCP := iter.Pull2(r.Checkpoints(ctx))
	defer stopCP()
	cp, cpErr, haveCP := nextCP()
	flushCPs := func(upTo int64) error {
		for haveCP && (cpErr != nil || cp.Seq <= upTo) {
			if cpErr != nil {
				return fmt.Errorf("audit: export: reading checkpoints: %w", cpErr)
			}
			line := ExportCheckpoint{
				Type: "checkpoint", Seq: cp.Seq, Hash: hex.EncodeToString(cp.Hash),
				Time: normTime(cp.Time).Format(TimeLayout), KeyID: cp.KeyID,
				Signature: base64.StdEncoding.EncodeToString(cp.Signature),
			}
			if err := writeJSONLine(bw, line); err != nil {
				return err
			}
			cp, cpErr, haveCP = nextCP()
		}
		return nil
	}
	var line []byte
	for rec, err := range r.Records(ctx, 1) {
		if err != nil {
			return fmt.Errorf("audit: export: reading records: %w", err)
		}
		if err := flushCPs(rec.Seq - 1); err != nil {
			return err
		}
		line = append(line[:0], `{"type":"record","seq":`...)
		line = strconv.AppendInt(line, rec.Seq, 10)
		line = append(line, `,"hash":"`...)
		line = hex.AppendEncode(line, rec.Hash)
		line = append(line, `","record":`...)
		if json.Valid(rec.Body) {
			line = append(line, rec.Body...)
		} else {
			// A damaged body is exported as a string so the line stays JSON;
			// verification reports it.
			line = appendString(line, string(rec.Body))
		}
		line = append(line, "}\n"...)
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("audit: export: writing: %w", err)
		}
		if err := flushCPs(rec.Seq); err != nil {
			return err
		}
	}
	if err := flushCPs(1 << 62); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("audit: export: writing: %w", err)
	}
	return nil
}

func writeJSONLine(w *bufio.Writer, v any) error {
	enc := json.NewEncoder(w) // writes a newline after the value
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("audit: export: writing: %w", err)
	}
	return nil
}
