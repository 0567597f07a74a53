package main

// The readiness conditions, the wait for the database and the ordered stop of
// `serve` and `worker` are in package serve (Probes, StopQueue) and app
// (OpenWaiting).
