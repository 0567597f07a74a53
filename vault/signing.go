package vault

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"

	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/signature"
	tinked25519 "github.com/tink-crypto/tink-go/v2/signature/ed25519"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// AuditSigner signs audit checkpoints with the Ed25519 key of the "audit-signing"
// keyset. Its signatures are plain Ed25519 (RFC 8032, no Tink prefix), so an auditor
// checks them with the public key alone (crypto/ed25519.Verify, openssl, any library).
// It satisfies the audit package's Signer interface. It is safe for concurrent use.
type AuditSigner struct {
	signer tink.Signer
	pub    ed25519.PublicKey
	keyID  string
}

// Sign returns the Ed25519 signature of data.
func (s *AuditSigner) Sign(data []byte) ([]byte, error) {
	if s == nil || s.signer == nil {
		return nil, ErrNotOpen
	}
	sig, err := s.signer.Sign(data)
	if err != nil {
		return nil, errors.New("vault: signing failed")
	}
	return sig, nil
}

// KeyID names the signing key: the lower-case hex of the first 8 bytes of the
// SHA-256 of the raw 32-byte public key. An auditor can recompute it from the public
// key.
func (s *AuditSigner) KeyID() string {
	if s == nil {
		return ""
	}
	return s.keyID
}

// PublicKey returns a copy of the raw 32-byte Ed25519 public key.
func (s *AuditSigner) PublicKey() ed25519.PublicKey {
	if s == nil {
		return nil
	}
	return slices.Clone(s.pub)
}

// AuditSigner returns the signer of audit checkpoints (nil for a Vault that was not
// opened).
func (v *Vault) AuditSigner() *AuditSigner {
	if !v.opened() {
		return nil
	}
	return v.signer
}

// AuditPublicKey returns the raw 32-byte Ed25519 public key that verifies audit
// checkpoints, and its key id.
func (v *Vault) AuditPublicKey() (ed25519.PublicKey, string) {
	if !v.opened() {
		return nil, ""
	}
	return v.signer.PublicKey(), v.signer.keyID
}

// KeyIDForPublicKey returns the key id AuditSigner.KeyID gives for pub.
func KeyIDForPublicKey(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

func newAuditSigner(h *keyset.Handle) (*AuditSigner, error) {
	bad := &KeysetError{Keyset: KeysetAuditSigning, Err: ErrCorruptKeyset}
	signer, err := signature.NewSigner(h)
	if err != nil {
		return nil, bad
	}
	pubH, err := h.Public()
	if err != nil {
		return nil, bad
	}
	entry, err := pubH.Primary()
	if err != nil {
		return nil, bad
	}
	pk, ok := entry.Key().(*tinked25519.PublicKey)
	if !ok {
		return nil, bad
	}
	// Only a key without output prefix makes plain Ed25519 signatures.
	if params, ok := pk.Parameters().(*tinked25519.Parameters); !ok || params.Variant() != tinked25519.VariantNoPrefix {
		return nil, bad
	}
	pub := ed25519.PublicKey(pk.KeyBytes())
	if len(pub) != ed25519.PublicKeySize {
		return nil, bad
	}
	return &AuditSigner{signer: signer, pub: pub, keyID: KeyIDForPublicKey(pub)}, nil
}
