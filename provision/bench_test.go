package provision

import (
	"context"
	"testing"
	"time"
)

// BenchmarkUpDestroy times a create-everything up and a destroy of the
// provider-free program (2 hosts, 4 components) through the real engine
// with the file backend; it reports each as its own metric.
func BenchmarkUpDestroy(b *testing.B) {
	home := b.TempDir()
	e, err := Open(context.Background(), testOptions(b, home, testProgram(2, nil)))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var up, down, preview time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := e.Preview(ctx, nil); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := e.Up(ctx, nil); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := e.Destroy(ctx, nil); err != nil {
			b.Fatal(err)
		}
		preview, up, down = preview+t1.Sub(t0), up+t2.Sub(t1), down+time.Since(t2)
	}
	b.ReportMetric(preview.Seconds()/float64(b.N), "preview-s/op")
	b.ReportMetric(up.Seconds()/float64(b.N), "up-s/op")
	b.ReportMetric(down.Seconds()/float64(b.N), "destroy-s/op")
}
