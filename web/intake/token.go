package intake

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
)

// TokenLen is the length of a link token: 32 random bytes in base64url
// without padding.
const TokenLen = 43

// ErrBadToken is a token or code that is not of the right shape.
var ErrBadToken = errors.New("intake: not a valid link or code")

// NewToken returns a random link token.
func NewToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ParseToken checks a token's shape and returns its digest, the only form
// the store keeps.
func ParseToken(s string) ([]byte, error) {
	if len(s) != TokenLen {
		return nil, ErrBadToken
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil, ErrBadToken
	}
	h := sha256.Sum256([]byte("intercom-privacy/intake-token/v1\x00" + s))
	return h[:], nil
}

// CodeLen is the number of digits of a code.
const CodeLen = 6

// NewCode returns a random code of CodeLen digits.
func NewCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	return fmt.Sprintf("%06d", n.Int64())
}

// ParseCode checks a typed code (spaces allowed between digits) and returns
// its digits.
func ParseCode(s string) (string, error) {
	out := make([]byte, 0, CodeLen)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if len(out) == CodeLen {
				return "", ErrBadToken
			}
			out = append(out, c)
		case c == ' ' || c == '-':
		default:
			return "", ErrBadToken
		}
	}
	if len(out) != CodeLen {
		return "", ErrBadToken
	}
	return string(out), nil
}

// codeHash binds a code to the intake it was made for.
func codeHash(intakeID, code string) []byte {
	h := sha256.Sum256([]byte("intercom-privacy/intake-code/v1\x00" + intakeID + "\x00" + code))
	return h[:]
}

func sameHash(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
