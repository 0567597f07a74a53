package users

import "testing"

// BenchmarkHashPassword measures one argon2id hash at DefaultParams (what a
// sign-in costs) beside the test parameters, for docs/benchmarks.md.
func BenchmarkHashPassword(b *testing.B) {
	for _, c := range []struct {
		name string
		p    Params
	}{{"default_64MiB_t3_p4", DefaultParams}, {"owasp_19MiB_t2_p1", Params{Memory: 19 * 1024, Time: 2, Threads: 1}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				HashPassword("correct horse battery staple", c.p)
			}
		})
	}
}
