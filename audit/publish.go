package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"sync"
)

// CheckpointsAfterReader is implemented by a Reader that can list only the
// checkpoints above a seq (a store does it with an index); Publisher uses it
// when available instead of reading every checkpoint.
type CheckpointsAfterReader interface {
	CheckpointsAfter(ctx context.Context, seq int64) iter.Seq2[Checkpoint, error]
}

// HeadReader is implemented by a store that keeps the chain head apart from
// the records (the audit_head row). Verify compares it with the last record:
// a head above the last record means records were cut off at the end.
type HeadReader interface {
	StoredHead(ctx context.Context) (seq int64, hash []byte, err error)
}

// ErrWitnessInconsistent: the database no longer extends the checkpoint the
// witness holds, so Publisher refused to witness a newer one. The records
// were changed after they were witnessed; `audit verify --witness` says how.
var ErrWitnessInconsistent = errors.New("audit: the database no longer extends the witnessed checkpoint; refusing to witness newer checkpoints (run `intercom-privacy audit verify --witness`)")

// witnessLatest is implemented by witnesses that can say what they hold
// (FileWitness).
type witnessLatest interface {
	Latest(ctx context.Context, keys Keyring) (WitnessedCheckpoint, bool, error)
}

// Publisher sends the database's new signed checkpoints to a Witness, after
// they commit. Before witnessing a checkpoint it checks what a transparency
// log's witness checks: that the checkpoint's signature verifies and that
// the chain it signs extends the last checkpoint witnessed (the records in
// between link one to the other and end at the signed hash). A checkpoint
// that does not is never witnessed (ErrWitnessInconsistent).
//
// What the Publisher last witnessed is kept in memory and, for a file
// witness, read back from the file, so several processes sharing one witness
// file continue from each other. A URL witness starting afresh witnesses the
// database's latest checkpoint as it is (trust on first use; the service
// behind the URL can check consistency itself).
//
// It is safe for concurrent use.
type Publisher struct {
	r    Reader
	w    Witness
	ns   *NoteSigner
	keys Keyring

	mu    sync.Mutex
	last  WitnessedCheckpoint
	known bool
}

// NewPublisher returns a Publisher reading checkpoints from r, signing notes
// with ns and checking signatures against keys (which must include ns's key).
func NewPublisher(r Reader, w Witness, ns *NoteSigner, keys Keyring) *Publisher {
	return &Publisher{r: r, w: w, ns: ns, keys: keys}
}

// Witness returns the witness.
func (p *Publisher) Witness() Witness { return p.w }

// PublishResult says what one Publish did.
type PublishResult struct {
	// Witnessed is how many checkpoints were sent.
	Witnessed int
	// Size is the record count of the last checkpoint witnessed (by this
	// process or, for a file witness, any process); 0 when none.
	Size int64
}

// Publish witnesses every checkpoint of the database above the last one
// witnessed, in order. It stops at the first failure: the checkpoints after
// it are sent by the next Publish.
func (p *Publisher) Publish(ctx context.Context) (PublishResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if wl, ok := p.w.(witnessLatest); ok {
		w, found, err := wl.Latest(ctx, p.keys)
		if err != nil {
			return PublishResult{Size: p.last.Size}, err
		}
		if found && (!p.known || w.Size > p.last.Size) {
			p.last, p.known = w, true
		}
	}
	res := PublishResult{Size: p.last.Size}
	if hr, ok := p.r.(HeadReader); ok && p.known {
		head, _, err := hr.StoredHead(ctx)
		if err != nil {
			return res, fmt.Errorf("audit: reading the chain head: %w", err)
		}
		if head < p.last.Size {
			return res, fmt.Errorf("%w: the database has %d records, fewer than the %d witnessed", ErrWitnessInconsistent, head, p.last.Size)
		}
	}
	cps, err := p.newCheckpoints(ctx)
	if err != nil || len(cps) == 0 {
		return res, err
	}
	if !p.known {
		cps = cps[len(cps)-1:] // first use: the latest covers the rest
	} else if err := p.consistent(ctx, cps); err != nil {
		return res, err
	}
	for _, cp := range cps {
		n, err := CheckpointNote(cp, p.ns)
		if err != nil {
			return res, err
		}
		if err := p.w.Add(ctx, n); err != nil {
			return res, err
		}
		p.last = WitnessedCheckpoint{Size: cp.Seq, Hash: bytes.Clone(cp.Hash), Time: cp.Time, KeyID: cp.KeyID}
		p.known = true
		res.Witnessed++
		res.Size = cp.Seq
	}
	return res, nil
}

// newCheckpoints returns the valid checkpoints above the last witnessed, one
// per seq, ascending.
func (p *Publisher) newCheckpoints(ctx context.Context) ([]Checkpoint, error) {
	after := int64(0)
	if p.known {
		after = p.last.Size
	}
	var seq iter.Seq2[Checkpoint, error]
	if ca, ok := p.r.(CheckpointsAfterReader); ok {
		seq = ca.CheckpointsAfter(ctx, after)
	} else {
		seq = p.r.Checkpoints(ctx)
	}
	var out []Checkpoint
	var msg []byte
	for cp, err := range seq {
		if err != nil {
			return nil, fmt.Errorf("audit: reading checkpoints to witness: %w", err)
		}
		if cp.Seq <= after || (len(out) > 0 && out[len(out)-1].Seq == cp.Seq) {
			continue
		}
		msg = appendCheckpointMessage(msg[:0], &cp)
		if !p.keys.VerifySignature(cp.KeyID, msg, cp.Signature) {
			return nil, fmt.Errorf("%w: checkpoint %d in the database has a signature that does not verify", ErrWitnessInconsistent, cp.Seq)
		}
		cp.Hash, cp.Signature = bytes.Clone(cp.Hash), bytes.Clone(cp.Signature)
		out = append(out, cp)
	}
	return out, nil
}

// consistent walks the records from the last witnessed checkpoint to the
// last of cps and checks that they link and hash to every checkpoint.
func (p *Publisher) consistent(ctx context.Context, cps []Checkpoint) error {
	prev := bytes.Clone(p.last.Hash)
	expect := p.last.Size + 1
	next := 0
	var (
		view   bodyView
		h      = sha256.New()
		hbuf   [sha256.Size]byte
		hexBuf [2 * sha256.Size]byte
	)
	fail := func(seq int64, what string) error {
		return fmt.Errorf("%w: witnessed at %d records; %s", ErrWitnessInconsistent, p.last.Size, what)
	}
	for row, err := range p.r.Records(ctx, expect) {
		if err != nil {
			return fmt.Errorf("audit: reading records to witness: %w", err)
		}
		if row.Seq != expect {
			return fail(expect, "record "+itoa(expect)+" is missing")
		}
		sum := hashBody(h, row.Body, hbuf[:0])
		if !bytes.Equal(sum, row.Hash) || parseBody(row.Body, &view) != nil || view.seq != row.Seq ||
			!bytes.Equal(view.str[kPrev], hex.AppendEncode(hexBuf[:0], prev)) {
			return fail(row.Seq, "record "+itoa(row.Seq)+" does not extend the chain that was witnessed")
		}
		prev = append(prev[:0], sum...)
		if row.Seq == cps[next].Seq {
			if !bytes.Equal(sum, cps[next].Hash) {
				return fail(row.Seq, "checkpoint "+itoa(row.Seq)+" does not sign the record it names")
			}
			next++
			if next == len(cps) {
				return nil
			}
		}
		expect++
	}
	return fail(expect, "records "+itoa(expect)+" to "+itoa(cps[len(cps)-1].Seq)+" are missing")
}
