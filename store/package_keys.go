package store

import "context"

// PersonKeyIDLister is implemented by stores that can list the ids of the person
// keys whose id starts with a prefix (both built-in backends do). The
// privacy-request workflow uses it to find the keys of access packages (ids
// "package:..."), which it destroys once their package has expired or was
// deleted, without reading every person's key. It is a separate interface so that
// other Store implementations need not provide it; callers fall back to
// vault.KeyStore.PersonKeys.
type PersonKeyIDLister interface {
	// PersonKeyIDs returns up to limit ids (100 when limit <= 0) of the person
	// keys whose id starts with prefix (compared byte for byte) and sorts after
	// afterID, in the store's order of ids; an empty result means the end. It
	// returns ids only, never a wrapped key. An empty prefix is refused
	// (ErrInvalid): use vault.KeyStore.PersonKeys to walk every key.
	PersonKeyIDs(ctx context.Context, prefix, afterID string, limit int) ([]string, error)
}
