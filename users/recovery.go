package users

import (
	"crypto/rand"
	"crypto/sha256"
	"strings"
)

// Recovery codes: RecoveryCodes of them, each RecoveryCodeLen characters of
// an alphabet without look-alikes (no 0/o, 1/l/i), shown once in groups of
// five ("k7c2x-9fh3q"), about 50 bits each; stored as SHA-256 only, and each
// accepted once.
const (
	RecoveryCodes   = 10
	RecoveryCodeLen = 10
)

const recoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"

func isRecoveryCode(c string) bool {
	if len(c) != RecoveryCodeLen {
		return false
	}
	for i := range len(c) {
		if !strings.ContainsRune(recoveryAlphabet, rune(c[i])) {
			return false
		}
	}
	return true
}

// newRecoveryCodes returns n codes to show (grouped) and their hashes.
func newRecoveryCodes(n int) (shown []string, hashes [][]byte) {
	limit := byte(256 / len(recoveryAlphabet) * len(recoveryAlphabet)) // rejection sampling keeps it uniform
	var buf [1]byte
	for range n {
		code := make([]byte, 0, RecoveryCodeLen)
		for len(code) < RecoveryCodeLen {
			_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails (Go 1.24+).
			if buf[0] >= limit {
				continue
			}
			code = append(code, recoveryAlphabet[int(buf[0])%len(recoveryAlphabet)])
		}
		shown = append(shown, string(code[:5])+"-"+string(code[5:]))
		hashes = append(hashes, recoveryHash(string(code)))
	}
	return shown, hashes
}

// recoveryHash is the stored form of a normalised recovery code.
func recoveryHash(code string) []byte {
	h := sha256.Sum256([]byte("intercom-privacy/recovery-code/v1\x00" + code))
	return h[:]
}
