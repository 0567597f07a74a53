// Package audit is the tamper-evident audit trail of intercom-privacy: an
// append-only sequence of records, each chaining the SHA-256 hash of the one
// before it, with Ed25519-signed checkpoints, a verifier that reports the first
// broken link, and a JSON-lines export for auditors.
//
// # Records
//
// A Record says who (Actor) did what (Action) for which request (RequestID)
// and which person (SubjectRef, a keyed HMAC from the vault, never a plain or
// unsalted hash and never plaintext), with counts, Intercom object ids, an
// Outcome, a Reason, and the CCPA §7101 fields (RequestDate, RequestNature,
// RequestMethod, ResponseDate, ResponseNature, DenialReason). No field may
// carry personal data: Chain.Append checks every field against a Checker
// (by default a strict allow-list of field shapes plus the PII engine of
// package pii) and refuses the record with an error matching ErrPersonalData
// or ErrInvalidRecord, naming the field and never its value.
//
// # Encoding and hashing
//
// A record's body is its canonical encoding (see AppendBody): compact JSON
// with the keys in byte order, optional fields left out when empty, integers
// in plain decimal and times as "2006-01-02T15:04:05.000000Z" in UTC. The body
// includes the record's Seq and the hex hash of the previous record ("prev";
// empty for Seq 1), and
//
//	Hash = SHA-256(RecordHashPrefix || body)
//
// so every record commits to the whole chain before it. A checkpoint signs
//
//	CheckpointSignPrefix || {"hash":"<hex>","key_id":"<id>","seq":<n>,"time":"<time>"}
//
// with Ed25519 (see CheckpointMessage).
//
// # Writing
//
// A Chain appends through a Tx, which a store's transaction implements, so a
// state change and the record describing it commit together. Tx.Head locks
// the chain head until the transaction ends, which keeps one gap-free chain
// across goroutines and processes. The Chain writes a signed checkpoint every
// Options.CheckpointEvery records and whenever Checkpoint is called (every run
// calls it at its end).
//
// # Verifying
//
// Verify streams the chain once, recomputing every hash and link and checking
// every checkpoint, and reports the first broken link with its kind: edited,
// deleted, inserted, reordered, truncated or bad signature. It compares the
// store's head (HeadReader) with the last record.
//
// # Witness
//
// Checkpoints in the database convince nobody the database's owner could not
// have rewritten. Every checkpoint is therefore also sent, after it commits,
// to a Witness outside the database (a file or an https URL; see
// OpenWitness) as a signed note in the C2SP tlog-checkpoint shape
// (CheckpointNote). A Publisher does it, refusing a checkpoint that does not
// extend the last one witnessed. VerifyWith compares the database with the
// witness's log (ReadWitnessLog): fewer records than witnessed, another hash
// at a witnessed size, or a witnessed checkpoint missing are reported, each
// with its kind and first record. Without a witness, Report says what it
// cannot see (NotDetectableWithoutWitness), and records after the last
// checkpoint are protected by the hash chain only (Report.Unsigned and
// Report.UnsignedSince say how many and since when).
//
// An export (see Export) can be verified without the database: OpenExport
// reads it as a Reader.
//
// # Retention
//
// Records are removed only by Chain.Prune (planned by PlanPrune), past the
// audit retention (7 years by default, never less than 24 months), up to a
// signed checkpoint, and with a signed audit.pruned record naming the range,
// its hash and the rule in the same transaction. Verify accepts a chain whose
// beginning is missing only under such records (PrunedWithoutRecord
// otherwise).
package audit
