package vault

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tink-crypto/tink-go/v2/aead/aesgcm"
	"github.com/tink-crypto/tink-go/v2/insecuresecretdataaccess"
	"github.com/tink-crypto/tink-go/v2/secretdata"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// Environment variables naming the master key.
const (
	// EnvMasterKey holds the master key itself: 32 random bytes, base64.
	EnvMasterKey = "INTERCOM_PRIVACY_MASTER_KEY"
	// EnvMasterKeyFile names a file holding the master key (base64, surrounding
	// white space ignored), for secret mounts (Docker and Kubernetes secrets).
	EnvMasterKeyFile = "INTERCOM_PRIVACY_MASTER_KEY_FILE"
)

// MasterKeySize is the size of a local master key in bytes (AES-256).
const MasterKeySize = 32

// maxMasterKeyFile bounds how much of a key file is read: a base64 key is 44 bytes.
const maxMasterKeyFile = 4096

// MasterKey is the key-encryption AEAD that encrypts the vault's keysets at rest.
//
// It is the seam for a cloud KMS: every tink.AEAD satisfies it, including the remote
// AEADs of Tink's awskms and gcpkms integrations (registry.KMSClient.GetAEAD), so an
// operator who keeps the master key in a KMS passes that AEAD to Init and Open
// instead of a local key. LoadMasterKey returns a local AES-256-GCM key.
type MasterKey interface {
	// Encrypt encrypts plaintext, binding associatedData.
	Encrypt(plaintext, associatedData []byte) ([]byte, error)
	// Decrypt decrypts ciphertext made by Encrypt with the same associatedData.
	Decrypt(ciphertext, associatedData []byte) ([]byte, error)
}

// LoadMasterKey returns the local master key given either as its base64 text (value,
// normally the content of INTERCOM_PRIVACY_MASTER_KEY) or as the path of a file
// holding that text (file, normally INTERCOM_PRIVACY_MASTER_KEY_FILE). Exactly one
// must be set: neither gives ErrNoMasterKey, both an error asking to set only one.
// An unusable key gives a *MasterKeyError that says what to set and how to generate
// a key; no error ever contains the key.
func LoadMasterKey(value, file string) (MasterKey, error) {
	switch {
	case value == "" && file == "":
		return nil, ErrNoMasterKey
	case value != "" && file != "":
		return nil, &MasterKeyError{Source: EnvMasterKey, Problem: "both " + EnvMasterKey + " and " + EnvMasterKeyFile + " are set; set only one"}
	case value != "":
		return parseMasterKey(EnvMasterKey, value)
	}
	text, err := readKeyFile(file)
	if err != nil {
		return nil, err
	}
	return parseMasterKey(EnvMasterKeyFile, text)
}

// MasterKeyFromEnv is LoadMasterKey with the values of INTERCOM_PRIVACY_MASTER_KEY and
// INTERCOM_PRIVACY_MASTER_KEY_FILE.
func MasterKeyFromEnv() (MasterKey, error) {
	return LoadMasterKey(os.Getenv(EnvMasterKey), os.Getenv(EnvMasterKeyFile))
}

// ParseMasterKey decodes a base64 master key (standard or URL alphabet, padded or
// not, surrounding white space ignored) and returns it as an AES-256-GCM MasterKey.
func ParseMasterKey(text string) (MasterKey, error) {
	return parseMasterKey(EnvMasterKey, text)
}

// NewLocalMasterKey returns an AES-256-GCM MasterKey (Tink) over 32 raw key bytes.
// The bytes are copied.
func NewLocalMasterKey(raw []byte) (MasterKey, error) {
	if len(raw) != MasterKeySize {
		return nil, &MasterKeyError{Source: "the key given", Problem: fmt.Sprintf("it is %d bytes long", len(raw))}
	}
	params, err := aesgcm.NewParameters(aesgcm.ParametersOpts{
		KeySizeInBytes: MasterKeySize,
		IVSizeInBytes:  12,
		TagSizeInBytes: 16,
		Variant:        aesgcm.VariantNoPrefix,
	})
	if err != nil {
		return nil, fmt.Errorf("vault: AES-GCM parameters: %w", err)
	}
	key, err := aesgcm.NewKey(secretdata.NewBytesFromData(raw, insecuresecretdataaccess.Token{}), 0, params)
	if err != nil {
		return nil, fmt.Errorf("vault: building the master key failed")
	}
	a, err := aesgcm.NewAEAD(key)
	if err != nil {
		return nil, fmt.Errorf("vault: building the master key AEAD failed")
	}
	return localMasterKey{a}, nil
}

// localMasterKey marks a MasterKey made from local key bytes (as opposed to a KMS).
type localMasterKey struct{ tink.AEAD }

// GenerateMasterKey returns a fresh master key: 32 bytes from crypto/rand, encoded in
// standard base64 (the form INTERCOM_PRIVACY_MASTER_KEY takes). The result is a
// secret: print it only when the operator asked for it.
func GenerateMasterKey() (string, error) {
	b := make([]byte, MasterKeySize)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("vault: reading random bytes: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func parseMasterKey(source, text string) (MasterKey, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, &MasterKeyError{Source: source, Problem: "it is empty"}
	}
	raw, ok := decodeBase64(text)
	if !ok {
		return nil, &MasterKeyError{Source: source, Problem: "it is not valid base64"}
	}
	if len(raw) != MasterKeySize {
		return nil, &MasterKeyError{Source: source, Problem: fmt.Sprintf("it decodes to %d bytes, not %d", len(raw), MasterKeySize)}
	}
	k, err := NewLocalMasterKey(raw)
	clear(raw)
	return k, err
}

func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.Strict().DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

func readKeyFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		// The path is configuration, not a secret; the *PathError names it.
		return "", &MasterKeyError{Source: EnvMasterKeyFile, Problem: "the file cannot be opened", Err: err}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxMasterKeyFile+1))
	if err != nil {
		return "", &MasterKeyError{Source: EnvMasterKeyFile, Problem: "the file cannot be read", Err: err}
	}
	if len(b) > maxMasterKeyFile {
		return "", &MasterKeyError{Source: EnvMasterKeyFile, Problem: fmt.Sprintf("the file is larger than %d bytes", maxMasterKeyFile)}
	}
	return string(b), nil
}
