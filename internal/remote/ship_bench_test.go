package remote

import (
	"context"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlforge/mlforge/internal/testenv"
)

// BenchmarkShipImages ships the images named in MLFORGE_SHIP_IMAGES
// (space-separated, present here) to one fresh Docker 26 test host, once
// per codec, emptying the host's images in between: gzip (what every
// engine reads), no compression, and zstd (MLFORGE_SHIP_WAYS names some
// of them to run only those). It reports the bytes sent per run
// (wire-B/op).
//
//	MLFORGE_SHIP_IMAGES="a:latest b:latest" go test -run '^$' -bench ShipImages -benchtime 1x ./internal/remote
func BenchmarkShipImages(b *testing.B) {
	refs := strings.Fields(os.Getenv("MLFORGE_SHIP_IMAGES"))
	if len(refs) == 0 {
		b.Skip("MLFORGE_SHIP_IMAGES names no images")
	}
	testenv.RequireDocker(b)
	c := connectHost(b)
	local, host := engines(b, c)
	ways := []struct {
		name  string
		codec Codec
	}{{"gzip", Gzip}, {"none", Plain}, {"zstd", Zstd}}
	only := strings.Fields(os.Getenv("MLFORGE_SHIP_WAYS"))
	for _, w := range ways {
		if len(only) > 0 && !slices.Contains(only, w.name) {
			continue
		}
		b.Run(w.name, func(b *testing.B) {
			var bytes int64
			for range b.N {
				b.StopTimer()
				_ = c.Run(context.Background(), "docker image rm -f "+strings.Join(refs, " ")+"; docker image prune -af", nil, io.Discard, io.Discard)
				for _, ref := range refs {
					if id, _ := host.ImageID(context.Background(), ref); id != "" {
						b.Fatalf("%s is still on the host", ref)
					}
				}
				b.StartTimer()
				s := &ShipImages{Local: local.Client(), Remote: host.Client(), Host: c, Address: c.Address(),
					Refs: refs, Codec: w.codec}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
				err := s.Run(ctx, logReporter{b})
				cancel()
				if err != nil {
					b.Fatal(err)
				}
				if len(s.Shipped) != len(refs) {
					b.Fatalf("shipped %v of %v", s.Shipped, refs)
				}
				bytes += s.Bytes
			}
			b.ReportMetric(float64(bytes)/float64(b.N), "wire-B/op")
		})
	}
}

// logReporter logs the lines a step prints (a stream sent again).
type logReporter struct{ tb testing.TB }

func (logReporter) Start(string)       {}
func (logReporter) Update(string)      {}
func (logReporter) End(error)          {}
func (logReporter) Skip(string)        {}
func (l logReporter) Println(s string) { l.tb.Log(s) }
