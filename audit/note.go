package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoint notes: what a witness keeps.
//
// A checkpoint kept in the database proves nothing against the database's
// owner, who can delete it. The same checkpoint is therefore also sent to a
// witness kept elsewhere (see Witness), as a signed note in the C2SP
// tlog-checkpoint shape (the format of Go's checksum database and of the
// transparency logs that follow RFC 9162):
//
//	intercom-privacy/audit
//	<seq: the number of records the chain had>
//	<base64 of the SHA-256 hash of record seq>
//	time <checkpoint time, TimeLayout>
//
//	— <key id> <base64 of 4-byte key hash || Ed25519 signature>
//
// The note is signed with the same Ed25519 key as the checkpoint
// (golang.org/x/mod/sumdb/note does the encoding; the signature comes from
// the vault's Tink signer). Unlike a transparency log's Merkle root, the
// hash is the head of a hash chain: two checkpoints are consistent when the
// records between them link one to the other, which Verify and Publisher
// check by walking them.

// NoteOrigin is the first line of every checkpoint note.
const NoteOrigin = "intercom-privacy/audit"

// ErrNote is matched by the errors for a checkpoint note that does not parse
// or whose signature does not verify with any known key.
var ErrNote = errors.New("audit: not a valid signed checkpoint note")

// WitnessedCheckpoint is one checkpoint as a witness holds it.
type WitnessedCheckpoint struct {
	// Size is the number of records the chain had (the seq of its head).
	Size int64 `json:"size"`
	// Hash is the hash of record Size.
	Hash []byte `json:"-"`
	// Time is when the checkpoint was signed.
	Time time.Time `json:"time"`
	// KeyID names the key that signed it.
	KeyID string `json:"key_id"`
}

// NoteSigner signs checkpoint notes with an audit Signer; it implements
// note.Signer.
type NoteSigner struct {
	s    Signer
	hash uint32
}

// NewNoteSigner returns a NoteSigner for s, whose public key is pub (the
// note format names the key by a hash of its id and public key).
func NewNoteSigner(s Signer, pub ed25519.PublicKey) (*NoteSigner, error) {
	v, err := noteVerifier(PublicKey{KeyID: s.KeyID(), Key: pub})
	if err != nil {
		return nil, err
	}
	return &NoteSigner{s: s, hash: v.KeyHash()}, nil
}

// Name implements note.Signer.
func (n *NoteSigner) Name() string { return n.s.KeyID() }

// KeyHash implements note.Signer.
func (n *NoteSigner) KeyHash() uint32 { return n.hash }

// Sign implements note.Signer.
func (n *NoteSigner) Sign(msg []byte) ([]byte, error) { return n.s.Sign(msg) }

func noteVerifier(k PublicKey) (note.Verifier, error) {
	vkey, err := note.NewEd25519VerifierKey(k.KeyID, k.Key)
	if err != nil {
		return nil, fmt.Errorf("audit: checkpoint key %q cannot name a note key: %w", k.KeyID, err)
	}
	return note.NewVerifier(vkey)
}

// noteVerifiers returns the note verifiers of every key of k.
func (k Keyring) noteVerifiers() (note.Verifiers, error) {
	vs := make([]note.Verifier, 0, len(k))
	for _, pk := range k {
		v, err := noteVerifier(pk)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return note.VerifierList(vs...), nil
}

// CheckpointNote returns the signed note of cp, signed by s.
func CheckpointNote(cp Checkpoint, s *NoteSigner) ([]byte, error) {
	var b strings.Builder
	b.WriteString(NoteOrigin + "\n")
	b.WriteString(strconv.FormatInt(cp.Seq, 10) + "\n")
	b.WriteString(base64.StdEncoding.EncodeToString(cp.Hash) + "\n")
	b.WriteString("time " + normTime(cp.Time).Format(TimeLayout) + "\n")
	msg, err := note.Sign(&note.Note{Text: b.String()}, s)
	if err != nil {
		return nil, fmt.Errorf("audit: signing the checkpoint note of record %d: %w", cp.Seq, err)
	}
	return msg, nil
}

// OpenCheckpointNote checks the signature of a checkpoint note against
// keys and parses it. Errors match ErrNote and repeat nothing of the note.
func OpenCheckpointNote(msg []byte, keys Keyring) (WitnessedCheckpoint, error) {
	vs, err := keys.noteVerifiers()
	if err != nil {
		return WitnessedCheckpoint{}, err
	}
	return openNote(msg, vs)
}

func openNote(msg []byte, vs note.Verifiers) (WitnessedCheckpoint, error) {
	n, err := note.Open(msg, vs)
	if err != nil {
		var unknown *note.UnknownVerifierError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unknown):
			return WitnessedCheckpoint{}, fmt.Errorf("%w: signed by a key that is not among the checkpoint keys", ErrNote)
		case errors.As(err, &invalid):
			return WitnessedCheckpoint{}, fmt.Errorf("%w: the signature does not verify", ErrNote)
		}
		return WitnessedCheckpoint{}, fmt.Errorf("%w: malformed or unsigned", ErrNote)
	}
	w, err := parseNoteText(n.Text)
	if err != nil {
		return WitnessedCheckpoint{}, err
	}
	w.KeyID = n.Sigs[0].Name
	return w, nil
}

func parseNoteText(text string) (WitnessedCheckpoint, error) {
	bad := func(what string) (WitnessedCheckpoint, error) {
		return WitnessedCheckpoint{}, fmt.Errorf("%w: %s", ErrNote, what)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 || lines[0] != NoteOrigin {
		return bad("it is not an intercom-privacy audit checkpoint (origin line)")
	}
	var w WitnessedCheckpoint
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 1 || strconv.FormatInt(size, 10) != lines[1] {
		return bad("the record count line is not a positive decimal number")
	}
	w.Size = size
	h, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(h) != 32 {
		return bad("the hash line is not the base64 of a SHA-256 hash")
	}
	w.Hash = h
	for _, ext := range lines[3:] {
		if v, ok := strings.CutPrefix(ext, "time "); ok {
			t, err := time.Parse(TimeLayout, v)
			if err != nil {
				return bad("the time line is not a time")
			}
			w.Time = t.UTC()
		}
	}
	if w.Time.IsZero() {
		return bad("it has no time line")
	}
	return w, nil
}

// sameCheckpoint reports whether two witnessed checkpoints agree.
func (w WitnessedCheckpoint) sameHash(h []byte) bool { return bytes.Equal(w.Hash, h) }
