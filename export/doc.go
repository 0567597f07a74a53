// Package export runs Intercom's content Data Export as a durable, resumable job:
// create the job, record its identifier in the store, poll it, cancel it after a
// timeout, download from the download_url Intercom gives, decode the archive and
// its CSVs as a stream (package exportfile), and either write the files to a
// directory or keep them in the store encrypted until the export retention ends.
//
// What this API exports: workspace-wide statistics of outbound messages (receipts,
// opens, clicks, replies, completions, dismissals, unsubscribes, bounces) sent in a
// date range. Every row names its recipient (user ids, email, name), so the files
// are personal data. It does not export conversation content, and it is not a
// person's data export: that is an access request (package dsar).
//
// # Durability
//
// Every change of a job's state is written to the store (an ExportJob row) together
// with its audit record (action export.job) in one transaction, and no transaction
// is held across a call to Intercom. The job's identifier is recorded right after
// the create call returns, so a process killed at any later point resumes the SAME
// job when Run is called again for the same date range; a restart never creates a
// second job for a range whose job is still open.
//
// The create call is never retried blindly (the client refuses to). When its
// outcome is unknown (the connection dropped after the request was sent), Intercom
// may have started a job whose identifier never arrived, and the API has no way to
// list jobs: Run records the fact (state create_unknown) and stops with
// ErrCreateUnknown rather than guess. A later run waits, queued, while that job
// occupies the workspace's one export slot.
//
// # One export at a time
//
// Intercom runs one content export per workspace; a second create is answered 429.
// Run treats that as a queue, not a failure: it waits (reporting PhaseQueued) and
// tries again every poll interval until the other job ends. When the store shows
// another open job of this tool, Run polls that job instead and creates its own
// only once Intercom reports the other finished.
//
// # Files
//
// Files written to a directory appear all at once: they are written in a hidden
// staging directory and renamed into place when every file decoded without error,
// so a crash, a truncated download or a malformed CSV never leaves a partial file
// under a final name. Kept files are sealed with the vault in segments (see
// OpenKept) under a key of their own, stored as blobs of kind export_file with an
// expiry, and deleted by the retention policy's export_files category.
//
// The download URL is never stored (it may carry a signature); a resumed job asks
// Intercom for the job's state again, which returns the URL.
package export
