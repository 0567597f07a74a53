package vault

import (
	"errors"
	"strings"
)

// Sentinel errors. Match them with errors.Is; the errors returned wrap them with
// context but never with a key, a plaintext or an identifier of a person.
var (
	// ErrNotOpen: a method was called on a Vault that Open did not return (a zero
	// Vault, or a nil *Vault).
	ErrNotOpen = errors.New("vault: the Vault was not opened: get one from vault.Open")

	// ErrNoMasterKey: no master key was configured.
	ErrNoMasterKey = errors.New("vault: no master key configured: set " + EnvMasterKey +
		" to 32 random bytes in base64 (generate one with `intercom-privacy keys generate-master`" +
		" or `openssl rand -base64 32`), or set " + EnvMasterKeyFile + " to the path of a file holding it")

	// ErrInvalidMasterKey: a master key was configured but is not 32 bytes of base64.
	// The error returned is a *MasterKeyError saying where it came from.
	ErrInvalidMasterKey = errors.New("vault: invalid master key")

	// ErrWrongMasterKey: a stored keyset does not decrypt with the master key given.
	ErrWrongMasterKey = errors.New("vault: the master key does not decrypt the stored keysets: set " +
		EnvMasterKey + " (or " + EnvMasterKeyFile + ") to the key that was used for `intercom-privacy keys init`;" +
		" if that is the key in use, the stored keyset is damaged: restore the keysets from a backup")

	// ErrNotInitialised: a keyset the vault needs is not in the store.
	ErrNotInitialised = errors.New("vault: keysets not initialised: run `intercom-privacy keys init`")

	// ErrAlreadyInitialised: Init found the keysets in place and changed nothing.
	ErrAlreadyInitialised = errors.New("vault: keysets already initialised; nothing was changed" +
		" (use `intercom-privacy keys rotate` to add a new key-encryption key)")

	// ErrKeysetLost: Init found a keyset missing while person keys exist, so data
	// was encrypted with the lost keyset; it refuses to create a new one.
	ErrKeysetLost = errors.New("vault: keyset missing while person keys exist: a new one would make existing data or indexes unusable;" +
		" restore the keysets from a backup")

	// ErrCorruptKeyset: a stored keyset decrypted but is not a keyset of the expected
	// kind, or its encrypted form cannot be parsed.
	ErrCorruptKeyset = errors.New("vault: stored keyset is damaged or of the wrong kind: restore the keysets from a backup")

	// ErrShredded: the person key a ciphertext was made under no longer exists
	// (destroyed by an erasure, or never created): the data cannot be decrypted.
	ErrShredded = errors.New("vault: the person's data key has been destroyed (crypto-shredded) or never existed; the data cannot be decrypted")

	// ErrDecrypt: the ciphertext does not open under the person's key and the
	// associated data given: it was altered, truncated, or moved from another table,
	// column, row or person.
	ErrDecrypt = errors.New("vault: ciphertext does not decrypt: it was altered, or moved from another table, column, row or person")

	// ErrInvalidAAD: a table, column or row of the associated data is empty.
	ErrInvalidAAD = errors.New("vault: associated data needs a non-empty table, column and row")

	// ErrInvalidKeyID: a person key id is empty, longer than MaxPersonKeyIDLen, or
	// not valid UTF-8.
	ErrInvalidKeyID = errors.New("vault: invalid person key id (must be 1 to 256 bytes of UTF-8)")

	// ErrUnknownKind: the index kind is not one of the IndexKind constants.
	ErrUnknownKind = errors.New("vault: unknown index kind")

	// ErrEmptyValue: the value to index is empty after normalisation.
	ErrEmptyValue = errors.New("vault: value is empty after normalisation")

	// ErrInvalidValue: the value to index is not valid UTF-8.
	ErrInvalidValue = errors.New("vault: value is not valid UTF-8")

	// ErrRotationInterrupted: a rotation stopped before every person key was
	// re-wrapped; running it again continues where it stopped.
	ErrRotationInterrupted = errors.New("vault: key rotation interrupted: run `intercom-privacy keys rotate` again to continue")
)

// KeysetError reports a problem with one named keyset ("kek", "index", "pseudonym",
// "audit-signing"). Err is one of the sentinel errors (ErrNotInitialised,
// ErrWrongMasterKey, ErrCorruptKeyset) or a store error.
type KeysetError struct {
	// Keyset is the keyset's name.
	Keyset string
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *KeysetError) Error() string {
	return "vault: keyset " + quote(e.Keyset) + ": " + strings.TrimPrefix(e.Err.Error(), "vault: ")
}

// Unwrap returns the cause.
func (e *KeysetError) Unwrap() error { return e.Err }

// MasterKeyError reports an unusable master key. It never contains the key.
type MasterKeyError struct {
	// Source is where the key came from: the environment variable or the file name
	// variable (EnvMasterKey or EnvMasterKeyFile).
	Source string
	// Problem says what is wrong, e.g. "it decodes to 16 bytes".
	Problem string
	// Err is the underlying error, if any (for example reading the file).
	Err error
}

// Error implements error.
func (e *MasterKeyError) Error() string {
	msg := "vault: the master key in " + e.Source + " is not usable: " + e.Problem
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg + "; it must be exactly 32 random bytes encoded in base64: generate one with" +
		" `intercom-privacy keys generate-master` or `openssl rand -base64 32`"
}

// Unwrap returns ErrInvalidMasterKey and the underlying error, so that both
// errors.Is(err, ErrInvalidMasterKey) and errors.Is(err, fs.ErrNotExist) work.
func (e *MasterKeyError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidMasterKey, e.Err}
	}
	return []error{ErrInvalidMasterKey}
}

// quote quotes a short, non-secret name for an error message.
func quote(s string) string { return "\"" + s + "\"" }

// ErrKeyUnwrap: a stored person key does not unwrap with the "kek" keyset: the stored
// key was altered or copied to another id, or the KEK key that wrapped it is no longer
// in the keyset.
var ErrKeyUnwrap = errors.New("vault: the person's data key does not unwrap with the key-encryption keyset:" +
	" the stored key was altered or copied to another id, or the KEK key that wrapped it is gone; restore the keys from a backup")
