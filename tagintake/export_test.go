package tagintake

import "github.com/intercom-privacy/intercom-privacy/store"

// SetAfterPost installs the hook that runs after Intercom's answer and before
// the record: an error there is the process killed at that point.
func SetAfterPost(rp *Replies, f func(store.IntercomReply) error) { rp.afterPost = f }
