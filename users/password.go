package users

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters (RFC 9106).
type Params struct {
	// Memory in KiB.
	Memory uint32
	// Time is the number of passes.
	Time uint32
	// Threads is the degree of parallelism.
	Threads uint8
}

// DefaultParams are RFC 9106's second recommended option (§4: 64 MiB, three
// passes, four lanes), for machines where 2 GiB per hash is too much. One
// hash took 0.6-0.8 s on the project's 2-core machine under heavy load
// (docs/benchmarks.md, BenchmarkHashPassword); sign-ins are rare, and at most
// MaxConcurrentHashes hashes run at once, so a burst of sign-ins takes at
// most 256 MiB and waits rather than exhausting memory.
var DefaultParams = Params{Memory: 64 * 1024, Time: 3, Threads: 4}

// Lengths of the salt and of the derived key, in bytes.
const (
	saltLen = 16
	keyLen  = 32
)

// Password length limits, in characters. No composition rules (NIST SP
// 800-63B §3.1.1.2): length is what makes a password strong.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// ErrBadHash is returned by ParseHash for a string that is not an encoded
// argon2id hash this package accepts.
var ErrBadHash = errors.New("users: not an encoded argon2id hash")

// CheckPassword returns a *PasswordError when pw is too short, too long or
// not UTF-8. The error never repeats the password.
func CheckPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return &PasswordError{Problem: "is not valid UTF-8"}
	case n < MinPasswordLen:
		return &PasswordError{Problem: fmt.Sprintf("is shorter than %d characters", MinPasswordLen)}
	case n > MaxPasswordLen:
		return &PasswordError{Problem: fmt.Sprintf("is longer than %d characters", MaxPasswordLen)}
	}
	return nil
}

// Hash is a decoded argon2id hash: its parameters, salt and key.
type Hash struct {
	Params Params
	Salt   []byte
	Key    []byte
}

// HashPassword derives an argon2id hash of pw with a new random salt and
// returns it encoded in the PHC string format
// ($argon2id$v=19$m=65536,t=3,p=4$salt$key, unpadded standard base64), which
// carries its parameters so that stored hashes keep verifying when the
// defaults change (and are upgraded at the next sign-in, see NeedsRehash).
func HashPassword(pw string, p Params) string {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails (Go 1.24+).
	h := Hash{Params: p, Salt: salt, Key: argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)}
	return h.String()
}

// String encodes h in the PHC string format.
func (h Hash) String() string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.Params.Memory, h.Params.Time,
		h.Params.Threads, b64.EncodeToString(h.Salt), b64.EncodeToString(h.Key))
}

// Limits ParseHash enforces, so that a tampered row cannot make a sign-in
// allocate gigabytes or spin for minutes.
const (
	maxMemory  = 1 << 21 // 2 GiB in KiB
	maxTime    = 16
	maxSaltKey = 64
)

// ParseHash decodes a PHC-format argon2id hash (version 19 only).
func ParseHash(s string) (Hash, error) {
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return Hash{}, ErrBadHash
	}
	var h Hash
	seen := 0
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" || (len(v) > 1 && v[0] == '0') {
			return Hash{}, ErrBadHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return Hash{}, ErrBadHash
		}
		switch {
		case k == "m" && seen == 0:
			h.Params.Memory = uint32(n)
		case k == "t" && seen == 1:
			h.Params.Time = uint32(n)
		case k == "p" && seen == 2 && n <= 255:
			h.Params.Threads = uint8(n)
		default:
			return Hash{}, ErrBadHash
		}
		seen++
	}
	if seen != 3 || h.Params.Time < 1 || h.Params.Time > maxTime || h.Params.Threads < 1 ||
		h.Params.Memory < 8*uint32(h.Params.Threads) || h.Params.Memory > maxMemory {
		return Hash{}, ErrBadHash
	}
	var err error
	b64 := base64.RawStdEncoding.Strict()
	if h.Salt, err = b64.DecodeString(parts[4]); err != nil || len(h.Salt) < 8 || len(h.Salt) > maxSaltKey {
		return Hash{}, ErrBadHash
	}
	if h.Key, err = b64.DecodeString(parts[5]); err != nil || len(h.Key) < 16 || len(h.Key) > maxSaltKey {
		return Hash{}, ErrBadHash
	}
	return h, nil
}

// VerifyPassword reports whether pw matches the encoded hash, comparing in
// constant time. A hash that does not parse never matches.
func VerifyPassword(encoded, pw string) bool {
	h, err := ParseHash(encoded)
	if err != nil {
		return false
	}
	k := argon2.IDKey([]byte(pw), h.Salt, h.Params.Time, h.Params.Memory, h.Params.Threads, uint32(len(h.Key)))
	return subtle.ConstantTimeCompare(k, h.Key) == 1
}

// NeedsRehash reports whether encoded was made with other parameters than p
// (or does not parse): the caller hashes the password again with p after a
// successful sign-in.
func NeedsRehash(encoded string, p Params) bool {
	h, err := ParseHash(encoded)
	return err != nil || h.Params != p || len(h.Key) != keyLen || len(h.Salt) != saltLen
}
