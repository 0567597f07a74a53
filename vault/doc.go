// Package vault encrypts personal data field by field, computes blind indexes and
// subject references, keeps one data key per person for crypto-shredding, and holds
// the project's keysets encrypted under a master key. Every primitive comes from Tink
// (github.com/tink-crypto/tink-go/v2); the package implements no cryptography itself.
//
// # Keys
//
// A master key (32 random bytes, base64, from INTERCOM_PRIVACY_MASTER_KEY or the file
// named by INTERCOM_PRIVACY_MASTER_KEY_FILE) encrypts four Tink keysets, which a
// KeyStore keeps by name:
//
//   - "kek": AES-256-GCM; wraps the per-person data keys. `keys rotate` adds a new
//     primary key to it and re-wraps every person key (see Rotate).
//   - "index": HMAC-SHA256 PRF; blind indexes and subject references. It is NOT
//     rotated: see BlindIndex for why.
//   - "pseudonym": HMAC-SHA256 PRF; short pseudonyms for log lines, a key separate
//     from "index" so that logs cannot be joined with the store or the audit trail.
//   - "audit-signing": Ed25519; signs audit checkpoints (see AuditSigner).
//
// Each keyset is encrypted with the keyset's name as associated data, so keysets
// cannot be swapped under one another's names. The master key is any MasterKey
// (an AEAD): a local AES-256-GCM key by default, or a cloud KMS AEAD (Tink's awskms or
// gcpkms) passed to Init and Open instead; this package imports neither.
//
// # Fields
//
// Encrypt and Decrypt use the data key of one person (created on first use, wrapped by
// the "kek" keyset with the person key id as associated data) and bind each
// ciphertext to its table, column and row through AAD, so a ciphertext copied to
// another row, column or table does not open. DestroyPersonKey deletes the wrapped key:
// every ciphertext made under it, including copies in backups taken after the key
// was destroyed, then fails with ErrShredded.
//
// # Errors
//
// No error, log line or panic of this package contains a key, a plaintext, a blind
// index input or a person key id. Errors wrap the sentinel values below (use
// errors.Is) and *KeysetError or *MasterKeyError (use errors.As) and say what to do.
package vault
